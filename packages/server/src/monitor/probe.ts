import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { SERVER_VERSION } from '../version.js';
import { type GuardOptions, withGuardedAgent } from './guard.js';
import type { Attempt, FailureKind, MonitorMethod } from './types.js';

/** What one probe asks. */
export interface ProbeTarget {
  url: string;
  method: MonitorMethod;
  /** The one status that counts as up; `null`: any 2xx or 3xx. */
  expectStatus: number | null;
}

/** How a probe runs. */
export interface ProbeOptions {
  /** The SSRF guard's settings. */
  guard: GuardOptions;
  /** Limit for the whole attempt: DNS, connect, TLS and the response headers. */
  timeoutMs: number;
  /** Clock for the attempt's time, epoch ms. @default Date.now */
  now?: () => number;
}

const USER_AGENT = `apilens-monitor/${SERVER_VERSION}`;
const MAX_DETAIL = 200;

/** Whether `status` counts as up for a monitor expecting `expectStatus`. */
export function statusIsUp(status: number, expectStatus: number | null): boolean {
  return expectStatus === null ? status >= 200 && status < 400 : status === expectStatus;
}

function codes(err: unknown): string[] {
  const found: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') found.push(e.code);
    e = e.cause as typeof e;
  }
  return found;
}

const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|EPROTO$)|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|_CERT_|HOSTNAME_MISMATCH/;

/** The failure kind of a request error (the timeout is known by the caller). */
export function failureKind(err: unknown): FailureKind {
  const all = codes(err);
  if (all.includes('APILENS_BLOCKED_TARGET')) return 'blocked';
  if (
    all.some((c) => c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'ETIMEDOUT')
  ) {
    return 'timeout';
  }
  if (all.includes('ECONNREFUSED')) return 'connection_refused';
  if (all.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_FAIL' || c === 'ENODATA')) {
    return 'dns';
  }
  if (all.some((c) => TLS_CODE.test(c))) return 'tls';
  return 'network_error';
}

function detailOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { message?: unknown; code?: unknown } };
  // Our own codes and undici's wrappers say less than the message and the system code.
  const code = codes(err).find((c) => !c.startsWith('UND_ERR_') && !c.startsWith('APILENS_'));
  const message = String(e.cause?.message || e.message || err);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

/**
 * Makes one attempt at a monitor's URL and says how it went. Never throws: a failure is an
 * {@link Attempt} with a `failure` kind, as much a result as a success. The response time is the
 * time to the response headers (DNS, connect and TLS included); the body is not read. Redirects
 * are not followed: a 3xx is the answer.
 *
 * @example
 * const a = await probe({ url: 'https://api.example.com/health', method: 'HEAD', expectStatus: null },
 *   { guard: { allowPrivate: false }, timeoutMs: 10_000 });
 */
export async function probe(target: ProbeTarget, options: ProbeOptions): Promise<Attempt> {
  const at = (options.now ?? Date.now)();
  const started = performance.now();
  const elapsed = () => Math.max(0, Math.round(performance.now() - started));
  return withGuardedAgent(options.guard, options.timeoutMs, async (dispatcher, signal, timedOut) => {
    try {
      const res = await request(target.url, {
        method: target.method,
        dispatcher,
        signal,
        headers: { 'user-agent': USER_AGENT, accept: '*/*' },
        // Our timer ends the attempt; undici's own would fire later and coarser.
        headersTimeout: options.timeoutMs + 1000,
      });
      const responseMs = elapsed();
      // Only the status matters; the agent is destroyed with the body unread.
      res.body.on('error', () => {});
      const up = statusIsUp(res.statusCode, target.expectStatus);
      return {
        at,
        responseMs,
        status: res.statusCode,
        failure: up ? null : 'unexpected_status',
        detail: up ? null : `answered ${res.statusCode}, expected ${target.expectStatus ?? '2xx or 3xx'}`,
      } satisfies Attempt;
    } catch (err) {
      const responseMs = elapsed();
      if (timedOut()) {
        return {
          at,
          responseMs,
          status: null,
          failure: 'timeout',
          detail: `no response within ${options.timeoutMs} ms`,
        };
      }
      return { at, responseMs, status: null, failure: failureKind(err), detail: detailOf(err) };
    }
  });
}
