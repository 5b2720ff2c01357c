export {
  openPostgresStore,
  openSqliteStore,
  openStore,
  type PostgresStoreOptions,
  type SqliteStoreOptions,
  type StoreLocation,
} from './store/index.js';
export {
  type DeleteCounts,
  type KeyRecord,
  type NewRequestRow,
  type RowFilter,
  type RowQuery,
  type Store,
  type StoredRow,
  type StoreKind,
  UnknownKeyError,
  type UserAgentInfo,
} from './types.js';
