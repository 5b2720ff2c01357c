import { DEFAULTS } from '../options.js';
import type { Store } from '../types.js';
import { openDuckDbStore } from './duckdb.js';
import { openPostgresStore } from './postgres.js';

export { type DuckDbStore, type DuckDbStoreOptions, openDuckDbStore } from './duckdb.js';
export { openPostgresStore, type PostgresStoreOptions, redactUrl } from './postgres.js';

/** Where {@link openStore} keeps data. */
export interface StoreLocation {
  /** DuckDB file (created when missing), whatever its name ends in. @default './apilens.duckdb' */
  db?: string;
  /** `postgres://…` URL; when set, PostgreSQL is used instead of the DuckDB file. */
  databaseUrl?: string;
}

/**
 * Opens the configured store and applies pending migrations: PostgreSQL when `databaseUrl` is
 * set, else the embedded DuckDB file.
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL });
 */
export async function openStore(location: StoreLocation = {}): Promise<Store> {
  const store = location.databaseUrl
    ? openPostgresStore(location.databaseUrl)
    : openDuckDbStore(location.db ?? DEFAULTS.db);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
