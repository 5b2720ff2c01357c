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
    name: 'ingest batch ids',
    // The ids SDKs send with each POST (header apilens-batch-id), kept a day: a retry of a batch
    // whose answer was lost (its collector process died after COMMIT) finds its id and is not
    // stored again. Inserted in the batch's own transaction, so the id exists iff the rows do.
    sql: `
CREATE TABLE ingest_batches (
  key_id BIGINT NOT NULL,
  batch_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (key_id, batch_id)
);
CREATE INDEX ingest_batches_received ON ingest_batches (received_at);
`,
  },
];
