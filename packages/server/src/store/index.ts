import type { Store } from '../types.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';

export { openPostgresStore, type PostgresStoreOptions, redactUrl } from './postgres.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';

/** Where {@link openStore} keeps data. */
export interface StoreLocation {
  /** SQLite file. @default './apilens.db' */
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
  const store = location.databaseUrl
    ? openPostgresStore(location.databaseUrl)
    : openSqliteStore(location.db ?? './apilens.db');
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
