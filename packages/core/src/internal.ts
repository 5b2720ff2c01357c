// `@apilens/core/internal`: the pieces the adapters and the benchmarks use that are not part of
// the public API. No semver promise: they change with the adapters of the same release.
export { type BatchSlice, batchOf, RecordBatch, wholeBatch } from './batch.js';
export { encodeBatch, rowsBodySliced, SERIALISE_SLICE, type WireFormat } from './compress.js';
export { OPTION_NAMES } from './config.js';
export { runtime } from './runtime.js';
export { isoDate, rowsBody, stripQuery } from './wire.js';
export { COLUMNS_PATH, COLUMNS_VERSION, columnsBody } from './wire-columns.js';
