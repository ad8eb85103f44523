"""The transformation job: bronze JSON -> validated, deduplicated DataFrames -> Delta MERGEs."""
