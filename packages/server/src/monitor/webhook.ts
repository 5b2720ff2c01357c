import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SERVER_VERSION } from '../version.js';
import { type GuardOptions, withGuardedAgent } from './guard.js';
import { failureKind } from './probe.js';
import type { AlertPayload } from './types.js';

/** How a webhook is delivered. */
export interface WebhookOptions {
  /** The SSRF guard's settings (the same as the monitors'). */
  guard: GuardOptions;
  /** Limit per delivery attempt. */
  timeoutMs: number;
  /** Further attempts after the first fails. @default 4 */
  retries?: number;
  /** Wait before the first retry; each next wait is 4× longer (1 s, 4 s, 16 s, 64 s). @default 1000 */
  backoffMs?: number;
  /** Aborting stops waiting and retrying (collector shutdown). */
  signal?: AbortSignal;
}

/** How a delivery ended. */
export interface WebhookResult {
  delivered: boolean;
  /** Requests made. */
  attempts: number;
  /** The last failure, in words; `null` when delivered. */
  error: string | null;
}

/** Statuses worth retrying: the receiver is overloaded or failing, not refusing this message. */
function retriable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * POSTs an alert as JSON, retrying with exponential backoff on network errors, timeouts, 408,
 * 425, 429 and 5xx. Gives up at once on other 4xx and on an address the SSRF guard refuses
 * (retrying cannot help). Never throws: the result says what happened, for the caller to log.
 *
 * @example
 * const r = await deliverWebhook(url, payload, { guard: { allowPrivate: false }, timeoutMs: 10_000 });
 * if (!r.delivered) log.warn(r.error);
 */
export async function deliverWebhook(
  url: string,
  payload: AlertPayload,
  options: WebhookOptions,
): Promise<WebhookResult> {
  const retries = options.retries ?? 4;
  const backoffMs = options.backoffMs ?? 1000;
  const body = JSON.stringify(payload);
  let error = 'not attempted';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      try {
        await sleep(backoffMs * 4 ** (attempt - 1), undefined, { signal: options.signal });
      } catch {
        return { delivered: false, attempts: attempt, error: `${error}; gave up at shutdown` };
      }
    }
    if (options.signal?.aborted) return { delivered: false, attempts: attempt, error };
    const sent = await withGuardedAgent(
      options.guard,
      options.timeoutMs,
      async (dispatcher, signal, timedOut) => {
        try {
          const res = await request(url, {
            method: 'POST',
            dispatcher,
            signal,
            headers: { 'content-type': 'application/json', 'user-agent': `apilens-alerts/${SERVER_VERSION}` },
            body,
          });
          await res.body.dump().catch(() => {});
          if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, final: true, error: '' };
          return {
            ok: false,
            final: !retriable(res.statusCode),
            error: `the webhook answered ${res.statusCode}`,
          };
        } catch (err) {
          if (timedOut()) {
            return { ok: false, final: false, error: `timeout: no answer within ${options.timeoutMs} ms` };
          }
          const kind = failureKind(err);
          // Retrying cannot change what the guard refuses.
          return {
            ok: false,
            final: kind === 'blocked',
            error: `${kind.replaceAll('_', ' ')}: ${(err as Error).message}`,
          };
        }
      },
      options.signal,
    );
    if (sent.ok) return { delivered: true, attempts: attempt + 1, error: null };
    error = sent.error;
    if (sent.final) return { delivered: false, attempts: attempt + 1, error };
  }
  return { delivered: false, attempts: retries + 1, error };
}
