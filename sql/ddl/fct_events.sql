-- One row per event key (a viewing session), partitioned by event_date.
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.fct_events
LOCATION '${lake_uri}/gold/fct_events/'
TBLPROPERTIES ('table_type' = 'DELTA')
