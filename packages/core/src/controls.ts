import type { Analytics } from './analytics.js';
import type { AnalyticsStats } from './types.js';

/** The SDK controls every adapter exposes on what its factory returns. */
export interface AnalyticsControls<Req = any> {
  /** The underlying client. */
  readonly analytics: Analytics<Req>;
  /** Sends the records queued now; resolves when they are delivered or given up on. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops the timers and delivers what is queued, waiting at most `timeoutMs`. Idempotent; never rejects.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Counters since creation: queued, in flight, sent, rejected, dropped, retries, failed batches. */
  stats(): AnalyticsStats;
}

/**
 * Attaches `analytics`, `flush()`, `shutdown()` and `stats()` to an adapter's
 * middleware (or any object) and returns it.
 *
 * @example
 * return attachControls(function apilensExpress(req, res, next) { … }, analytics);
 */
export function attachControls<T extends object, Req>(
  target: T,
  analytics: Analytics<Req>,
): T & AnalyticsControls<Req> {
  return Object.assign(target, {
    analytics,
    flush: () => analytics.flush(),
    shutdown: (timeoutMs?: number) => analytics.shutdown(timeoutMs),
    stats: () => analytics.stats(),
  });
}
