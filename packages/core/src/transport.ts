import type { TransportKind } from './types.js';

/** What a delivery attempt got back from the collector. */
export interface TransportResponse {
  status: number;
  /** Raw `Retry-After` header, when present. */
  retryAfter: string | undefined;
  /** Response body as text (at most 64 KiB is read). */
  body: string;
}

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  signal: AbortSignal;
  timeoutMs: number;
}

/** Sends one HTTP POST. Rejects on network errors and timeouts, resolves on any status. */
export interface Transport {
  readonly kind: 'undici' | 'fetch';
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

function clip(text: string): string {
  return text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text;
}

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
  return {
    kind: 'undici',
    async send(req) {
      // The pool is per origin; the path is the request's (rows and the compact format differ).
      const target = req.url === endpoint ? url : new URL(req.url);
      const res = await pool.request({
        path: target.pathname + target.search,
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

/** Global fetch, for runtimes without undici (Cloudflare Workers, Deno, Bun, Vercel Edge). */
function fetchTransport(): Transport {
  return {
    kind: 'fetch',
    async send(req) {
      const timeout = AbortSignal.timeout(req.timeoutMs);
      const signal =
        typeof AbortSignal.any === 'function' ? AbortSignal.any([req.signal, timeout]) : req.signal;
      const res = await fetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body as BodyInit,
        signal,
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after') ?? undefined,
        body: clip(await res.text()),
      };
    },
    async close() {},
  };
}

/** Picks the transport: undici where it can be loaded (Node.js), fetch otherwise. */
export async function createTransport(
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
