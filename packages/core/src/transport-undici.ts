// The Node.js build's HTTP client: an undici keep-alive pool, loaded on the first delivery.
// Only runtime.ts imports this file, so the web build (runtime-web.ts) never references undici.

import { clip, fetchTransport, type Transport } from './transport.js';
import type { TransportKind } from './types.js';

type UndiciModule = typeof import('undici');

/** undici with a small keep-alive pool per collector origin. */
function undiciTransport(undici: UndiciModule, endpoint: string, timeoutMs: number): Transport {
  const url = new URL(endpoint);
  const pool = new undici.Pool(url.origin, {
    connections: 2,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    connect: { timeout: Math.min(timeoutMs, 5_000) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const paths = new Map<string, string>([[endpoint, url.pathname + url.search]]);
  const pathOf = (target: string): string => {
    let path = paths.get(target);
    if (path === undefined) {
      const parsed = new URL(target);
      path = parsed.pathname + parsed.search;
      if (paths.size < 8) paths.set(target, path);
    }
    return path;
  };
  return {
    kind: 'undici',
    async send(req) {
      // The pool is per origin; the path is the request's (rows and the compact format differ),
      // parsed once per URL rather than once per POST.
      const res = await pool.request({
        path: pathOf(req.url),
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: req.signal,
      });
      const retryAfter = res.headers['retry-after'];
      return {
        status: res.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        body: clip(await res.body.text()),
      };
    },
    async close() {
      await pool.close();
    },
  };
}

/**
 * undici where it loads, global fetch otherwise (`'auto'`); `'undici'` insists. Imported
 * lazily, on the first delivery: loading undici costs startup time an app that never
 * records should not pay.
 */
export async function createNodeTransport(
  kind: TransportKind,
  endpoint: string,
  timeoutMs: number,
): Promise<Transport> {
  if (kind !== 'fetch') {
    try {
      const undici = (await import('undici')) as UndiciModule;
      if (typeof undici.Pool === 'function') return undiciTransport(undici, endpoint, timeoutMs);
    } catch (err) {
      if (kind === 'undici') throw err;
    }
  }
  return fetchTransport();
}
