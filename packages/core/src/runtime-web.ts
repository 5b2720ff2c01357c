// What the core takes from the runtime, in the web build (see runtime.ts): global fetch and
// CompressionStream, which Cloudflare Workers, Vercel Edge, Deno, Bun and browsers all have.
// Nothing here may import undici or a node:* module: bundlers for edge targets would follow it.
import { gzipWeb } from './gzip-web.js';
import type { Runtime } from './internal-types.js';
import { fetchTransport } from './transport.js';

/** The web build's runtime: fetch and CompressionStream. */
export const runtime: Runtime = {
  build: 'web',
  transports: ['auto', 'fetch'],
  createTransport: async () => fetchTransport(),
  gzip: gzipWeb,
};
