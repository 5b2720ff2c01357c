import { Analytics } from './analytics.js';
import type { Config } from './config.js';
import type { AdapterIdentity, AnalyticsStats, Options } from './types.js';

/**
 * The SDK controls every adapter exposes on what its factory returns (the Express,
 * Koa and Hono middleware, Fastify's `app.apilens`, Nest's `AnalyticsService`).
 */
export interface AnalyticsControls<Req = any> {
  /** The underlying client. */
  readonly analytics: Analytics<Req>;
  /**
   * Sends the records queued now. Resolves to `true` once all of them were accepted by
   * the collector, `false` when some were lost or `timeoutMs` passed first. Never rejects.
   * @param timeoutMs how long to wait at most @default no limit
   */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops the timers and delivers what is queued, waiting at most `timeoutMs`. Resolves to
   * `true` when everything was delivered, `false` when records were lost. Idempotent; never rejects.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<boolean>;
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
    flush: (timeoutMs?: number) => analytics.flush(timeoutMs),
    shutdown: (timeoutMs?: number) => analytics.shutdown(timeoutMs),
    stats: () => analytics.stats(),
  });
}

/**
 * The frame of an adapter's factory: creates the client for `identity` (validating
 * `config`, which throws a TypeError naming the package when malformed) and returns
 * what `build` makes of it — the framework's middleware, which does nothing but call
 * the next one when the client is disabled (no API key) — with the controls attached.
 *
 * @example
 * export const myAnalytics = (apiKey?: string, config?: Options<MyRequest>) =>
 *   instrument(apiKey, { framework: 'My', packageName: 'apilens-my' }, config, myMiddleware);
 */
export function instrument<Req, T extends object>(
  apiKey: string | undefined | null,
  identity: AdapterIdentity,
  config: Config<Req> | Options<Req> | undefined,
  build: (analytics: Analytics<Req>) => T,
): T & AnalyticsControls<Req> {
  const analytics = new Analytics<Req>(apiKey, identity, config);
  return attachControls(build(analytics), analytics);
}
