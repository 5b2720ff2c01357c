// The dashboard API's response contract lives with the server that computes it; this is a
// type-only import (erased at build time), so the dashboard never depends on @apilens/server.
export type * from '../../../server/src/dashboard/types.js';
