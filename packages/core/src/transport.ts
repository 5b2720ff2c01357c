// The HTTP client interface the sender uses, and the one every runtime has: global fetch.
// undici lives in transport-undici.ts, which only the Node.js build imports (runtime.ts).
import { unref } from './timers.js';

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

/** The part of a collector's answer that is kept: errors are short, anything longer is noise. */
export function clip(text: string): string {
  return text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text;
}

/**
 * Global fetch: what the web build always uses (Cloudflare Workers, Vercel Edge, Deno, Bun,
 * browsers) and what the Node.js build falls back to where undici cannot load. Each runtime's
 * fetch keeps its own connection pool, and in a Worker no connection may outlive the request
 * that opened it, so there is nothing to hold here.
 */
export function fetchTransport(): Transport {
  return {
    kind: 'fetch',
    async send(req) {
      // The attempt's signal, or the timeout. Not AbortSignal.any: Node 20 before 20.3 lacks it.
      const attempt = new AbortController();
      const halt = () => attempt.abort(req.signal.reason);
      if (req.signal.aborted) halt();
      else req.signal.addEventListener('abort', halt, { once: true });
      const timer = unref(
        setTimeout(
          () => attempt.abort(new DOMException(`no answer within ${req.timeoutMs} ms`, 'TimeoutError')),
          req.timeoutMs,
        ),
      );
      try {
        const res = await fetch(req.url, {
          method: 'POST',
          headers: req.headers,
          body: req.body as BodyInit,
          signal: attempt.signal,
        });
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after') ?? undefined,
          body: clip(await res.text()),
        };
      } finally {
        clearTimeout(timer);
        req.signal.removeEventListener('abort', halt);
      }
    },
    async close() {},
  };
}
