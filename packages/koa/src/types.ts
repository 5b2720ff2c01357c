import type { Analytics, Config as CoreConfig, Options } from '@apilens/core';
import type { Context, Next } from 'koa';

/** SDK options with mappers typed for Koa: each receives the Koa `Context`. */
export type KoaOptions = Options<Context>;

/** What {@link koaAnalytics} returns: a Koa middleware with the SDK's controls attached. */
export interface KoaAnalyticsMiddleware {
  (ctx: Context, next: Next): Promise<unknown>;
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

/** Config accepted by {@link koaAnalytics}: a {@link CoreConfig} instance or an options object. */
export type KoaConfigInput = CoreConfig<Context> | KoaOptions;
