// What the core takes from the runtime, in the Node.js build: undici and node:zlib.
//
// The web build (dist/web, chosen by the `workerd`, `worker`, `browser`, `edge-light`, `deno`
// and `bun` export conditions) is the same code with this file swapped for runtime-web.ts at
// build time (tsup.config.ts), so that bundlers for edge targets never see undici or node:*.
// Everything else that differs between runtimes (beforeExit, setImmediate, unref) is feature-
// detected where it is used.
import { gzipNode } from './gzip-node.js';
import type { Runtime } from './internal-types.js';
import { createNodeTransport } from './transport-undici.js';

/** The Node.js build's runtime: undici (falling back to fetch where it cannot load) and node:zlib. */
export const runtime: Runtime = {
  build: 'node',
  transports: ['auto', 'undici', 'fetch'],
  createTransport: createNodeTransport,
  gzip: gzipNode,
};
