-- The raw table as the Snowflake kit defines it (01-setup.sql), for DuckDB: one row per NDJSON line of the lake
-- (no file_row_number: DuckDB's JSON reader does not give it, and the views do not need it).
CREATE TABLE IF NOT EXISTS events_raw (
  record JSON,
  file_name VARCHAR,
  loaded_at TIMESTAMP WITH TIME ZONE DEFAULT current_timestamp
);

-- What Snowpipe's COPY does, for DuckDB: load every file under the lake's events/ prefix. Set the variable to a
-- glob first, e.g. SET VARIABLE lake_files = 'lake/events/**/*.ndjson.gz';
INSERT INTO events_raw (record, file_name)
SELECT json, filename
FROM read_json_objects(getvariable('lake_files'), format = 'newline_delimited', compression = 'gzip', filename = true);
