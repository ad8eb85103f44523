-- The Glue database that holds the lakehouse tables and views.
-- Placeholders: ${database} (Glue database name). See sql/README.md.
CREATE DATABASE IF NOT EXISTS ${database}
