// `@apilens/core/internal`: the pieces the adapters and the benchmarks use that are not part of
// the public API. No semver promise: they change with the adapters of the same release.
export { encodeBatch, SERIALISE_SLICE, serialiseSliced } from './compress.js';
export { OPTION_NAMES } from './config.js';
export { isoDate, serialise, stripQuery, toPayload, toWire } from './wire.js';
