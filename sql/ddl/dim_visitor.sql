-- One row per visitor key: activity counts, device, identification (identity fields hashed).
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.dim_visitor
LOCATION '${lake_uri}/gold/dim_visitor/'
TBLPROPERTIES ('table_type' = 'DELTA')
