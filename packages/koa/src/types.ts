import type { AnalyticsControls, Config as CoreConfig, Options } from '@apilens/core';
import type { Context, Next } from 'koa';

/** SDK options with mappers typed for Koa: each receives the Koa `Context`. */
export type KoaOptions = Options<Context>;

/** What {@link koaAnalytics} returns: a Koa middleware with the SDK's controls attached. */
export interface KoaAnalyticsMiddleware extends AnalyticsControls<Context> {
  (ctx: Context, next: Next): Promise<unknown>;
}

/** Config accepted by {@link koaAnalytics}: a {@link CoreConfig} instance or an options object. */
export type KoaConfigInput = CoreConfig<Context> | KoaOptions;
