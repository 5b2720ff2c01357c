import type { AnalyticsControls, Config as CoreConfig, Options } from '@apilens/core';
import type { Context, Next } from 'hono';

/** SDK options with mappers typed for Hono: each receives the Hono `Context`. */
export type HonoOptions = Options<Context>;

/** What {@link honoAnalytics} returns: a Hono middleware with the SDK's controls attached. */
export interface HonoAnalyticsMiddleware extends AnalyticsControls<Context> {
  (c: Context, next: Next): Promise<void>;
}

/** Config accepted by {@link honoAnalytics}: a {@link CoreConfig} instance or an options object. */
export type HonoConfigInput = CoreConfig<Context> | HonoOptions;
