export { Analytics, EXIT_FLUSH_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS } from './analytics.js';
export { Config, DEFAULTS, INGEST_PATH } from './config.js';
export { type AnalyticsControls, attachControls, instrument } from './controls.js';
export {
  type AdapterIdentity,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type Compression,
  type ExcludeOption,
  type Options,
  type PrivacyLevel,
  type Recorder,
  type RequestAccessors,
  type RequestRecord,
  type TransportKind,
  type WirePayload,
  type WireRequest,
} from './types.js';
export {
  defaultIpAddress,
  defaultIpAddressFrom,
  firstHeader,
  type HeaderMap,
  type NodeRequestLike,
  nodeAccessors,
} from './utils.js';
export { SDK_VERSION } from './version.js';
