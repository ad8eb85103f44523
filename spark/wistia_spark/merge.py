"""The MERGE executor: a `MergeSpec` and a source DataFrame -> one Delta commit, through delta-spark's SQL.

Only SQL reaches Delta (`CREATE TABLE ... USING DELTA`, `MERGE INTO delta.\\`<path>\\``), never the `delta`
Python package. EMR Serverless puts the jars of `spark.jars` on the JVM classpath but not on the Python
path, so `import delta.tables` fails there (ADR 0018, tests/e2e/test_emr_layout.py); SQL needs only the
jars and the session extension.

Before anything is written the source is checked: exactly the table's columns, castable to its types,
unique non-null keys. The MERGE matches on the keys, restricted to the partitions the source holds.
Tables are created from the spec (all columns nullable, the spec's partitions, TABLE_PROPERTIES) before the
first merge, so the first run inserts everything. Protocol stays at reader 1 / writer 2 (no deletion
vectors, column mapping or timestamp_ntz) for Athena.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F

from wistia_spark.tables import TABLE_PROPERTIES, MergeSpec, TableSpec, table_path

_SAMPLE_KEYS = 5
_DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
_source_views = itertools.count()


@dataclass(frozen=True)
class MergeResult:
    table: str
    source_rows: int
    inserted: int
    updated: int
    unchanged: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _result(table: TableSpec, source_rows: int, inserted: int, updated: int) -> MergeResult:
    return MergeResult(
        table=table.name,
        source_rows=source_rows,
        inserted=inserted,
        updated=updated,
        unchanged=source_rows - inserted - updated,
    )


# --- source validation ------------------------------------------------------------------------------------


def conform_source(table: TableSpec, source: Any) -> Any:
    """The source with exactly the table's columns, in table order, cast to the table's types."""
    expected = list(table.column_names)
    actual = list(source.columns)
    missing = [name for name in expected if name not in actual]
    extra = [name for name in actual if name not in expected]
    duplicated = sorted({name for name in actual if actual.count(name) > 1})
    if missing or extra or duplicated:
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if extra:
            problems.append(f"unexpected {extra}")
        if duplicated:
            problems.append(f"duplicated {duplicated}")
        raise ValueError(
            f"source for {table.name} does not match the table's columns: {'; '.join(problems)} "
            f"(expected {expected})"
        )
    try:
        return source.select([F.col(name).cast(kind).alias(name) for name, kind in table.columns])
    except AnalysisException as error:
        raise ValueError(f"source for {table.name} cannot be cast to the table's types: {error}") from error


def key_problems(
    table: TableSpec, null_key_rows: int, duplicate_keys: int, sample: Sequence[Sequence[Any]]
) -> str | None:
    """The error message for bad source keys, or None."""
    problems = []
    if null_key_rows:
        problems.append(
            f"{null_key_rows} row(s) with a null key column (a null never matches: re-runs would duplicate)"
        )
    if duplicate_keys:
        shown = ", ".join(str(tuple(row)) for row in sample)
        problems.append(
            f"{duplicate_keys} duplicated key(s), e.g. {shown} (deduplicate the source before merging)"
        )
    if not problems:
        return None
    return f"source for {table.name} has bad keys {list(table.keys)}: {'; '.join(problems)}"


# --- SQL text ---------------------------------------------------------------------------------------------


def quote_string(value: str) -> str:
    """A Spark SQL string literal: backslash escapes (Spark's default parser), never doubled quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def delta_path(uri: str) -> str:
    """`delta.\\`<uri>\\``: a table addressed by its location, as EMR's job does (no catalog)."""
    if "`" in uri:
        raise ValueError(f"a table location cannot contain a backtick: {uri!r}")
    return f"delta.`{uri}`"


def sql_literal(value: Any) -> str | None:
    """A Spark SQL literal for a partition value, or None when the type is not used for pruning."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return None
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return quote_string(value)
    return None


def partition_filter(table: TableSpec, values: Mapping[str, Sequence[Any]]) -> str | None:
    """Restrict the target to the partitions present in the source (`t.p IN (...)`), None if not possible.

    Null partition values in the source keep `t.p IS NULL` in play, so pruning never turns a match into an
    insert. A column whose values have no literal form is left unpruned.
    """
    clauses = []
    for column in table.partition_by:
        present = list(values.get(column, ()))
        has_null = any(value is None for value in present)
        literals = [sql_literal(value) for value in present if value is not None]
        if any(literal is None for literal in literals) or (not literals and not has_null):
            continue
        ordered = sorted({str(literal) for literal in literals})
        parts = [f"t.{column} IN ({', '.join(ordered)})"] if ordered else []
        if has_null:
            parts.append(f"t.{column} IS NULL")
        clauses.append(parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})")
    return " AND ".join(clauses) if clauses else None


def merge_predicate(spec: MergeSpec, partition_values: Mapping[str, Sequence[Any]] | None = None) -> str:
    """`spec.predicate`, ANDed with partition pruning when the table is partitioned and values are given."""
    pruning = partition_filter(spec.table, partition_values) if partition_values else None
    return f"{spec.predicate} AND {pruning}" if pruning else spec.predicate


def create_table_sql(table: TableSpec, uri: str) -> str:
    """Create the table at `uri` from its spec unless a Delta table is already there."""
    clauses = [f"CREATE TABLE IF NOT EXISTS {delta_path(uri)} ({table.ddl}) USING DELTA"]
    if table.partition_by:
        clauses.append(f"PARTITIONED BY ({', '.join(table.partition_by)})")
    if table.description:
        clauses.append(f"COMMENT {quote_string(table.description)}")
    properties = ", ".join(f"{quote_string(k)} = {quote_string(v)}" for k, v in TABLE_PROPERTIES.items())
    clauses.append(f"TBLPROPERTIES ({properties})")
    return " ".join(clauses)


def merge_sql(spec: MergeSpec, uri: str, source_view: str, predicate: str) -> str:
    """The MERGE statement of a spec: update when matched (and the condition holds), insert otherwise."""
    clauses = [f"MERGE INTO {delta_path(uri)} AS t USING {source_view} AS s ON {predicate}"]
    if spec.update_columns:
        condition = f" AND ({spec.update_condition})" if spec.update_condition else ""
        assignments = ", ".join(f"t.{name} = s.{name}" for name in spec.update_columns)
        clauses.append(f"WHEN MATCHED{condition} THEN UPDATE SET {assignments}")
    if spec.insert:
        clauses.append("WHEN NOT MATCHED THEN INSERT *")
    return " ".join(clauses)


def _check_spec(spec: MergeSpec) -> None:
    if not spec.update_columns and not spec.insert:
        raise ValueError(f"merge spec for {spec.table.name} neither updates nor inserts: nothing to do")
    unknown = [name for name in spec.update_columns if name not in spec.table.column_names]
    if unknown:
        raise ValueError(f"merge spec for {spec.table.name} updates unknown columns {unknown}")


# --- the executor -----------------------------------------------------------------------------------------


class DeltaSparkExecutor:
    """MERGE with delta-spark: EMR ships the jars (`spark.jars` in the template's sparkSubmitParameters)."""

    def __init__(self, spark: Any, lake_uri: str) -> None:
        extensions = spark.conf.get("spark.sql.extensions", None) or ""
        if _DELTA_EXTENSION not in extensions:
            raise RuntimeError(
                "the Transform needs a Delta-enabled Spark session: submit it with the sparkSubmitParameters "
                f"of template.yaml (spark.jars with the Delta jars, spark.sql.extensions={_DELTA_EXTENSION}, "
                "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog)"
            )
        self.spark = spark
        self.lake_uri = lake_uri

    def table_uri(self, table: TableSpec) -> str:
        return table_path(self.lake_uri, table)

    def _exists(self, table: TableSpec) -> bool:
        # The JVM's DeltaTable, reached through py4j: the jar is on the classpath, not the Python path.
        delta_table = self.spark._jvm.io.delta.tables.DeltaTable
        return bool(delta_table.isDeltaTable(self.spark._jsparkSession, self.table_uri(table)))

    def read(self, table: TableSpec) -> Any:
        if not self._exists(table):
            return self.spark.createDataFrame([], schema=table.ddl)
        return self.spark.read.format("delta").load(self.table_uri(table)).select(*table.column_names)

    def merge(self, spec: MergeSpec, source: Any) -> MergeResult:
        _check_spec(spec)
        table = spec.table
        uri = self.table_uri(table)
        # Validation, pruning values and the MERGE each scan the source: compute it once.
        data = conform_source(table, source).persist(StorageLevel.MEMORY_AND_DISK)
        view = f"wistia_merge_source_{next(_source_views)}"
        try:
            source_rows, partition_values = self._inspect_source(table, data)
            if not self._exists(table):
                self.spark.sql(create_table_sql(table, uri))
            if source_rows == 0:
                return _result(table, 0, 0, 0)
            data.createOrReplaceTempView(view)
            statement = merge_sql(spec, uri, view, merge_predicate(spec, partition_values))
            metrics = self.spark.sql(statement).first()
            return _result(
                table, source_rows, int(metrics["num_inserted_rows"]), int(metrics["num_updated_rows"])
            )
        finally:
            self.spark.catalog.dropTempView(view)
            data.unpersist()

    @staticmethod
    def _inspect_source(table: TableSpec, data: Any) -> tuple[int, dict[str, list[Any]]]:
        """One aggregation: the row count and the partition values, and whether any key is null or
        repeated (then a second look names them and the merge is refused)."""
        keys = list(table.keys)
        any_null = F.lit(False)
        for key in keys:
            any_null = any_null | F.col(key).isNull()
        columns = [
            F.count(F.lit(1)).alias("rows"),
            F.count(F.when(any_null, 1)).alias("null_rows"),
            F.count_distinct(F.struct(*keys)).alias("distinct_keys"),
        ]
        for column in table.partition_by:
            columns.append(F.collect_set(column).alias(f"values_{column}"))
            columns.append(F.max(F.col(column).isNull()).alias(f"null_{column}"))
        stats = data.agg(*columns).first()
        rows = int(stats["rows"])
        if stats["null_rows"] or stats["distinct_keys"] != rows:
            per_key = data.groupBy(*keys).agg(F.count(F.lit(1)).alias("_n")).filter(F.col("_n") > 1)
            sample = [tuple(row) for row in per_key.select(*keys).limit(_SAMPLE_KEYS).collect()]
            message = key_problems(table, int(stats["null_rows"]), per_key.count(), sample)
            raise ValueError(message)
        partition_values = {
            column: [*stats[f"values_{column}"], *([None] if stats[f"null_{column}"] else [])]
            for column in table.partition_by
        }
        return rows, partition_values
