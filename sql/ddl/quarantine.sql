-- Rows rejected by validation, with the reason (under ops/, not gold/), partitioned by quarantined_on.
-- Native Delta table: Athena reads columns and partitions from the Delta log, so there is no column list.
-- Placeholders: ${database} (Glue database), ${lake_uri} (lake root, e.g. s3://bucket, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.quarantine
LOCATION '${lake_uri}/ops/quarantine/'
TBLPROPERTIES ('table_type' = 'DELTA')
