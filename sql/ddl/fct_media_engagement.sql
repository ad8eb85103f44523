-- One row per media per snapshot day: all-time totals as of that day, and the engagement curve.
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.fct_media_engagement
LOCATION '${lake_uri}/gold/fct_media_engagement/'
TBLPROPERTIES ('table_type' = 'DELTA')
