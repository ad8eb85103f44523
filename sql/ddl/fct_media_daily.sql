-- One row per media per UTC day (from by_date), partitioned by stat_month.
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.fct_media_daily
LOCATION '${lake_uri}/gold/fct_media_daily/'
TBLPROPERTIES ('table_type' = 'DELTA')
