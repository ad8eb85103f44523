-- One row per media (hashed id): attributes as last listed, channel, lifecycle flags (archived, deleted).
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.dim_media
LOCATION '${lake_uri}/gold/dim_media/'
TBLPROPERTIES ('table_type' = 'DELTA')
