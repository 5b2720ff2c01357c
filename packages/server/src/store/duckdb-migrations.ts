import type { Migration } from './migrations.js';

/**
 * DuckDB schema. Same tables and meaning as the PostgreSQL schema (`migrations.ts`), with these
 * differences that follow from DuckDB being a columnar engine in one process:
 *
 * - `requests` has no index. Indexes (ART) slow every append and hold memory; DuckDB instead keeps
 *   min/max per row group (122 880 rows) of every column, and since rows arrive roughly in time
 *   order, a filter on `created_at` skips the row groups outside the range.
 * - Three columns are derived at insert for the dashboard: `endpoint` (the route template, else
 *   the path), `version` (the path's `/v1/`-style segment) and `identity` (a 64-bit hash of the
 *   user id, else of the IP; NULL when neither is stored), which makes counting distinct users
 *   an integer operation instead of a pass over two string columns.
 * - Request and user agent ids are assigned by the store, not by a sequence: only one process
 *   can open the file for writing, so a counter in that process is enough and saves a column
 *   default per appended row. Key ids come from a sequence: they are never reused, so a batch
 *   racing a deletion can never land under a newer key.
 */
/** Columns of `requests` that only DuckDB has, derived at insert (see the store's INSERT). */
export const DUCKDB_DERIVED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['endpoint', 'VARCHAR'],
  ['version', 'VARCHAR'],
  ['identity', 'UBIGINT'],
];

export const DUCKDB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'keys, user agents, requests',
    sql: `
CREATE SEQUENCE keys_id_seq;
CREATE TABLE keys (
  id BIGINT PRIMARY KEY DEFAULT nextval('keys_id_seq'),
  key_hash VARCHAR NOT NULL UNIQUE,
  dashboard_id VARCHAR NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL
);
CREATE TABLE user_agents (
  id BIGINT PRIMARY KEY,
  user_agent VARCHAR NOT NULL UNIQUE,
  browser VARCHAR,
  os VARCHAR,
  device VARCHAR
);
CREATE TABLE requests (
  id BIGINT NOT NULL,
  key_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  hostname VARCHAR,
  ip_address VARCHAR,
  path VARCHAR NOT NULL,
  route VARCHAR,
  user_agent_id BIGINT,
  method VARCHAR NOT NULL,
  status SMALLINT NOT NULL,
  response_time INTEGER NOT NULL,
  location VARCHAR,
  user_id VARCHAR,
  framework VARCHAR,
  -- Derived at insert for the dashboard, so that its queries read small columns instead of
  -- parsing paths and hashing strings on every read (see duckdb.ts).
  endpoint VARCHAR NOT NULL,
  version VARCHAR,
  identity UBIGINT
);
`,
  },
  {
    version: 2,
    name: 'monitors, monitor attempts, alert settings',
    // The PostgreSQL tables minus the UNIQUE (key_id, method, url) constraint and the indexes:
    // every write goes through the store's one writer connection, so checking for a duplicate
    // and inserting cannot interleave with another creation, and attempts are read by time
    // range, which the zone maps serve.
    sql: `
CREATE TABLE monitors (
  id VARCHAR PRIMARY KEY,
  key_id BIGINT NOT NULL,
  url VARCHAR NOT NULL,
  method VARCHAR NOT NULL,
  interval_seconds INTEGER NOT NULL,
  expect_status SMALLINT,
  created_at BIGINT NOT NULL,
  next_due_at BIGINT NOT NULL,
  state VARCHAR NOT NULL DEFAULT 'unknown',
  state_since BIGINT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since BIGINT,
  last_at BIGINT,
  last_response_ms INTEGER,
  last_status SMALLINT,
  last_failure VARCHAR,
  last_detail VARCHAR
);
CREATE TABLE monitor_attempts (
  monitor_id VARCHAR NOT NULL,
  key_id BIGINT NOT NULL,
  attempted_at BIGINT NOT NULL,
  response_ms INTEGER NOT NULL,
  status SMALLINT,
  failure VARCHAR,
  detail VARCHAR
);
CREATE TABLE alert_settings (
  key_id BIGINT PRIMARY KEY,
  webhook_url VARCHAR,
  threshold INTEGER NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'ingest batch ids',
    // As PostgreSQL's: the batches stored in the last day, so that an SDK's retry of a batch whose
    // answer was lost (the collector killed after the commit) is not stored again. No index: the
    // store checks ids against its copy of the last hour's in memory (see duckdb.ts).
    sql: `
CREATE TABLE ingest_batches (
  key_id BIGINT NOT NULL,
  batch_id VARCHAR NOT NULL,
  received_at BIGINT NOT NULL
);
`,
  },
];
