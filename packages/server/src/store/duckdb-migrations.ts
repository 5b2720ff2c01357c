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
];
