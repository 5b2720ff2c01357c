import type { Store } from '../types.js';
import { openDuckDbStore } from './duckdb.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';

export { type DuckDbStore, type DuckDbStoreOptions, openDuckDbStore } from './duckdb.js';
export { openPostgresStore, type PostgresStoreOptions, redactUrl } from './postgres.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';

/** Where {@link openStore} keeps data. */
export interface StoreLocation {
  /** SQLite file, or a DuckDB file when its name ends in `.duckdb`. @default './apilens.db' */
  db?: string;
  /** `postgres://…` URL; when set, PostgreSQL is used instead of SQLite. */
  databaseUrl?: string;
}

/**
 * Opens the configured store and applies pending migrations.
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL });
 */
export async function openStore(location: StoreLocation = {}): Promise<Store> {
  const db = location.db ?? './apilens.db';
  const store = location.databaseUrl
    ? openPostgresStore(location.databaseUrl)
    : db.endsWith('.duckdb')
      ? openDuckDbStore(db)
      : openSqliteStore(db);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
