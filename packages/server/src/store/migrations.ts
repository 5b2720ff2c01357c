import { PENDING_SCHEMA, ROLLUP_MIGRATION } from './postgres-rollups.js';

/**
 * Versioned schema migrations. Each store applies, in order, the versions missing from its
 * `schema_migrations` table, each in its own transaction. Never edit a released migration:
 * append a new version instead.
 *
 * This file holds PostgreSQL's schema; DuckDB's is in `duckdb-migrations.ts`. Times are epoch
 * milliseconds (BIGINT) in both stores so that rows, filters and cursors mean the same thing
 * everywhere and sub-millisecond client timestamps sort by arrival id.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'keys, user agents, requests',
    sql: `
CREATE TABLE keys (
  id BIGSERIAL PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  dashboard_id TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL
);
CREATE INDEX keys_last_used ON keys (last_used_at);
CREATE TABLE user_agents (
  id BIGSERIAL PRIMARY KEY,
  user_agent TEXT NOT NULL UNIQUE,
  browser TEXT,
  os TEXT,
  device TEXT
);
CREATE TABLE requests (
  id BIGSERIAL PRIMARY KEY,
  key_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  hostname TEXT,
  ip_address TEXT,
  path TEXT NOT NULL,
  route TEXT,
  user_agent_id BIGINT,
  method TEXT NOT NULL,
  status SMALLINT NOT NULL,
  response_time INTEGER NOT NULL,
  location TEXT,
  user_id TEXT,
  framework TEXT
);
CREATE INDEX requests_key_time ON requests (key_id, created_at, id);
CREATE INDEX requests_key_status_time ON requests (key_id, status, created_at, id);
`,
  },
  {
    version: 2,
    name: 'monitors, monitor attempts, alert settings',
    // No foreign keys to keys(id): a key's deletion removes these rows itself, in the order that
    // keeps an attempt being recorded meanwhile from surviving it (postgres-monitors.ts).
    sql: `
CREATE TABLE monitors (
  id TEXT PRIMARY KEY,
  key_id BIGINT NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  interval_seconds INTEGER NOT NULL,
  expect_status SMALLINT,
  created_at BIGINT NOT NULL,
  next_due_at BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'unknown',
  state_since BIGINT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since BIGINT,
  last_at BIGINT,
  last_response_ms INTEGER,
  last_status SMALLINT,
  last_failure TEXT,
  last_detail TEXT,
  UNIQUE (key_id, method, url)
);
CREATE INDEX monitors_due ON monitors (next_due_at);
CREATE TABLE monitor_attempts (
  monitor_id TEXT NOT NULL,
  key_id BIGINT NOT NULL,
  attempted_at BIGINT NOT NULL,
  response_ms INTEGER NOT NULL,
  status SMALLINT,
  failure TEXT,
  detail TEXT
);
CREATE INDEX monitor_attempts_key_time ON monitor_attempts (key_id, attempted_at);
CREATE INDEX monitor_attempts_time ON monitor_attempts (attempted_at);
CREATE TABLE alert_settings (
  key_id BIGINT PRIMARY KEY,
  webhook_url TEXT,
  threshold INTEGER NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'ingest batch ids, monthly partitions of requests',
    // Batch ids: the ids SDKs send with each POST (header apilens-batch-id), kept a day: a retry
    // of a batch whose answer was lost (its collector process died after COMMIT) finds its id and
    // is not stored again. Inserted in the batch's own transaction: the id exists iff the rows do.
    //
    // Partitions: requests becomes a table partitioned by month (UTC) of created_at, so the age
    // retention drops whole months. The primary key must hold the partition key: (id, created_at),
    // id first for lookups by id; the two indexes keep their columns (the data API's keyset order
    // and its status filter). A default partition takes rows of months that have no partition of
    // their own (rows may carry any past date); apilens_request_partition(ms) creates the month of
    // ms, moving that month's rows out of the default partition, and is what the collector calls
    // for the coming months. Every month holding rows gets its partition here, so the default
    // partition starts empty. The row-id sequence is kept: new rows continue the old numbering.
    sql: `
CREATE TABLE ingest_batches (
  key_id BIGINT NOT NULL,
  batch_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (key_id, batch_id)
);
CREATE INDEX ingest_batches_received ON ingest_batches (received_at);

ALTER SEQUENCE requests_id_seq OWNED BY NONE;
ALTER TABLE requests RENAME TO requests_unpartitioned;
ALTER INDEX requests_pkey RENAME TO requests_unpartitioned_pkey;
ALTER INDEX requests_key_time RENAME TO requests_unpartitioned_key_time;
ALTER INDEX requests_key_status_time RENAME TO requests_unpartitioned_key_status_time;
CREATE TABLE requests (
  id BIGINT NOT NULL DEFAULT nextval('requests_id_seq'),
  key_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  hostname TEXT,
  ip_address TEXT,
  path TEXT NOT NULL,
  route TEXT,
  user_agent_id BIGINT,
  method TEXT NOT NULL,
  status SMALLINT NOT NULL,
  response_time INTEGER NOT NULL,
  location TEXT,
  user_id TEXT,
  framework TEXT,
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE requests_id_seq OWNED BY requests.id;
CREATE INDEX requests_key_time ON requests (key_id, created_at, id);
CREATE INDEX requests_key_status_time ON requests (key_id, status, created_at, id);
CREATE TABLE requests_default PARTITION OF requests DEFAULT;

CREATE FUNCTION apilens_request_partition(at_ms BIGINT) RETURNS TEXT LANGUAGE plpgsql AS $fn$
DECLARE
  month TIMESTAMP := date_trunc('month', to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC');
  lo BIGINT := (extract(epoch FROM month AT TIME ZONE 'UTC') * 1000)::BIGINT;
  hi BIGINT := (extract(epoch FROM (month + INTERVAL '1 month') AT TIME ZONE 'UTC') * 1000)::BIGINT;
  part TEXT := 'requests_' || to_char(month, 'YYYYMM');
BEGIN
  IF to_regclass(part) IS NOT NULL THEN RETURN part; END IF;
  -- Rows of this month in the default partition move into the new one; the lock keeps more from
  -- arriving meanwhile (inserts into other months go on), and makes a concurrent call wait, then
  -- find the partition made.
  LOCK TABLE requests_default IN ACCESS EXCLUSIVE MODE;
  IF to_regclass(part) IS NOT NULL THEN RETURN part; END IF;
  EXECUTE format('CREATE TABLE %I (LIKE requests INCLUDING DEFAULTS)', part);
  EXECUTE format('INSERT INTO %I SELECT * FROM requests_default WHERE created_at >= $1 AND created_at < $2', part)
    USING lo, hi;
  DELETE FROM requests_default WHERE created_at >= lo AND created_at < hi;
  EXECUTE format('ALTER TABLE requests ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
  RETURN part;
END
$fn$;

SELECT apilens_request_partition(m)
FROM (
  SELECT DISTINCT (extract(epoch FROM date_trunc('month', to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC')
    AT TIME ZONE 'UTC') * 1000)::BIGINT AS m
  FROM requests_unpartitioned
  UNION
  SELECT (extract(epoch FROM (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => k))
    AT TIME ZONE 'UTC') * 1000)::BIGINT
  FROM generate_series(0, 2) AS k
) months ORDER BY m;
INSERT INTO requests SELECT * FROM requests_unpartitioned;
DROP TABLE requests_unpartitioned;
`,
  },
  {
    version: 4,
    name: 'dashboard rollups, built from the stored rows',
    // Generated from postgres-rollups.ts, which ingest writes with: change it only in ways that
    // keep this version's tables and figures (or add a version that rebuilds them).
    sql: ROLLUP_MIGRATION,
  },
  {
    version: 5,
    name: 'dashboard rollups: the pending queue of batches',
    sql: PENDING_SCHEMA,
  },
];
