export {
  type ApilensDecoration,
  type BackupDecoration,
  type BackupRun,
  buildServer,
  type DemoDecoration,
} from './app.js';
export { type SyntheticRequest, type SyntheticTrafficOptions, syntheticTraffic } from './demo/traffic.js';
export { bundledGeoipDb } from './ingest/geoip.js';
export { parseUserAgent } from './ingest/user-agent.js';
export { parseTimestamp } from './ingest/validate.js';
export type { MonitoringDecoration } from './jobs/monitoring.js';
export { monthsBefore, runRetention } from './jobs/retention.js';
export { hashApiKey } from './keys.js';
export { MONITOR_DEFAULTS, type MonitorOptions } from './monitor/options.js';
export type { MonitorStore } from './monitor/store-types.js';
export type {
  AlertPayload,
  AlertSettings,
  Attempt,
  FailureKind,
  MonitorInfo,
  MonitoringPeriod,
  MonitoringResponse,
  MonitorMethod,
  MonitorReport,
  MonitorSlot,
  MonitorState,
  SlotState,
} from './monitor/types.js';
export { DEFAULTS, type ServerOptions } from './options.js';
export { createApiKey } from './routes/keys.js';
export {
  type DuckDbStore,
  type DuckDbStoreOptions,
  openDuckDbStore,
  openPostgresStore,
  openStore,
  type PostgresStoreOptions,
  type StoreLocation,
} from './store/index.js';
export {
  type BackupResult,
  type DeleteCounts,
  type KeyRecord,
  type NewRequestRow,
  type RowFilter,
  type RowQuery,
  type SelectOptions,
  type Store,
  type StoredRow,
  type StoreKind,
  UnknownKeyError,
  type UserAgentInfo,
} from './types.js';
export { SERVER_VERSION } from './version.js';
