-- The Snowflake kit, step 1 of 3: from the platform's lake bucket to a raw table that Snowpipe fills as files land.
-- Replace the <placeholders> with the stack's outputs (README, "Data sharing" → "Snowflake"), then run this as a
-- role that may create integrations (ACCOUNTADMIN, or one granted CREATE INTEGRATION).
--
-- Files: gzip NDJSON, one event per line, exactly as the event catalogue (docs/events/) documents it, under
--   s3://<lake bucket>/events/tenant=<tenant id>/date=<YYYY-MM-DD>/hour=<HH>/<stream>-1-<time>-<uuid>.ndjson.gz
-- partitioned by the event's own tenant and commit time (occurredAt, UTC), never by arrival time.

CREATE DATABASE IF NOT EXISTS loyalty;
CREATE SCHEMA IF NOT EXISTS loyalty.lake;
USE SCHEMA loyalty.lake;

-- Snowflake assumes this role to read the files: the tenant's lake reader role, stack output
-- LakeReader<tenant>RoleArn (arn:aws:iam::<platform account>:role/LoyaltyLedger-<stage>-lake-<tenant id>), which
-- may list and read the tenant's events/ and exports/ prefixes and decrypt with the lake's KMS key. After creating
-- the integration, run DESC INTEGRATION and give its STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID to the
-- platform team: it deploys them as the tenant's lakeReaders entry (principalArn, externalId), the role's trust.
CREATE STORAGE INTEGRATION IF NOT EXISTS loyalty_lake
  TYPE = EXTERNAL_STAGE
  STORAGE_PROVIDER = 'S3'
  ENABLED = TRUE
  STORAGE_AWS_ROLE_ARN = '<lake reader role ARN>'
  STORAGE_ALLOWED_LOCATIONS = (
    's3://<lake bucket>/events/tenant=<tenant id>/',
    's3://<lake bucket>/exports/tenant=<tenant id>/'
  );

DESC INTEGRATION loyalty_lake;

-- Gzip NDJSON: one JSON object per line. STRIP_OUTER_ARRAY stays off (lines are objects, not an array).
CREATE FILE FORMAT IF NOT EXISTS loyalty_ndjson_gz
  TYPE = JSON
  COMPRESSION = GZIP;

CREATE STAGE IF NOT EXISTS loyalty_lake_stage
  STORAGE_INTEGRATION = loyalty_lake
  URL = 's3://<lake bucket>/events/tenant=<tenant id>/'
  FILE_FORMAT = loyalty_ndjson_gz;

-- One row per line: the event as loaded (VARIANT), the file it came from and when it was loaded. Rows are never
-- updated; the views (02-views.sql) type and deduplicate them.
CREATE TABLE IF NOT EXISTS events_raw (
  record VARIANT NOT NULL,
  file_name STRING NOT NULL,
  file_row_number NUMBER(38,0),
  loaded_at TIMESTAMP_LTZ NOT NULL DEFAULT CURRENT_TIMESTAMP()
);

-- Snowpipe loads each new file once (it remembers loaded files for 14 days) and stamps each row with the time its
-- load started. Events sent again (a retried delivery, a backfill) arrive in new files with the same event ids: the
-- `events` view keeps one row per id.
CREATE PIPE IF NOT EXISTS loyalty_events_pipe
  AUTO_INGEST = TRUE
  AS
  COPY INTO events_raw (record, file_name, file_row_number, loaded_at)
  FROM (
    SELECT $1, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, METADATA$START_SCAN_TIME
    FROM @loyalty_lake_stage
  )
  FILE_FORMAT = (FORMAT_NAME = 'loyalty_ndjson_gz');

-- The queue Snowpipe listens on (notification_channel): deploy the platform with
-- `-c snowpipeSqsArn=<notification_channel>` so the bucket notifies it of every new file under events/.
SHOW PIPES LIKE 'loyalty_events_pipe';

-- Files already in the bucket before the notification existed (or older than the pipe): load them once.
ALTER PIPE loyalty_events_pipe REFRESH;
