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
];
