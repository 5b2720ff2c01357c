import type { Analytics, Config as CoreConfig, Options } from '@apilens/core';
import type { Context, Next } from 'hono';

/** SDK options with mappers typed for Hono: each receives the Hono `Context`. */
export type HonoOptions = Options<Context>;

/** What {@link honoAnalytics} returns: a Hono middleware with the SDK's controls attached. */
export interface HonoAnalyticsMiddleware {
  (c: Context, next: Next): Promise<void>;
  /** The underlying client, e.g. for `analytics.stats()`. */
  readonly analytics: Analytics<Context>;
  /** Sends the records queued now; resolves when they are delivered or given up on. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops the timers and delivers what is queued, waiting at most `timeoutMs`.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Config accepted by {@link honoAnalytics}: a {@link CoreConfig} instance or an options object. */
export type HonoConfigInput = CoreConfig<Context> | HonoOptions;
