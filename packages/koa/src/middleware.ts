import { type Analytics, Config as CoreConfig, instrument, nodeAccessors } from '@apilens/core';
import type { Context, Next } from 'koa';
import type { KoaAnalyticsMiddleware, KoaConfigInput } from './types.js';

/** Who reports, for the collector and for messages. */
const IDENTITY = { framework: 'Koa', packageName: '@apilens/koa' };

/**
 * apilens configuration for Koa. Same fields as the core `Config`, with the
 * mappers typed for the Koa `Context`.
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (ctx) => ctx.state.user?.id;
 * app.use(koaAnalytics(process.env.APILENS_API_KEY, config));
 */
export class Config<Req extends Context = Context> extends CoreConfig<Req> {}

// Raw values only: the core strips the query string and splits x-forwarded-for at flush time.
// `originalUrl` is fixed at request start, whatever koa-mount or rewrites do to `ctx.url` later.
const ACCESSORS = nodeAccessors<Context>(
  (ctx) => ctx.req,
  (ctx) => ctx.originalUrl,
);

type RoutedContext = Context & { _matchedRoute?: string | RegExp };

/** Route template from `@koa/router` (prefixes and nested routers included); `null` when none matched. */
function routeOf(ctx: RoutedContext): string | null {
  const route = ctx._matchedRoute;
  if (route === undefined || route === null) return null;
  return typeof route === 'string' ? route : String(route);
}

/** The middleware {@link koaAnalytics} returns: recording, or (no API key) passing requests on. */
function koaMiddleware(analytics: Analytics<Context>): (ctx: Context, next: Next) => Promise<unknown> {
  const record = analytics.createRecorder<Context>(ACCESSORS);
  // Without an API key: a fresh function (the controls are attached to it) that passes requests on.
  if (!analytics.enabled) return (_ctx, next) => next();
  return function apilensKoa(ctx, next) {
    const start = performance.now();
    const res = ctx.res;
    // Koa writes the body (a stream included) and handles errors after the
    // middleware chain settles: 'finish' is when the client has it all, and
    // `res.statusCode` then is the status it got.
    res.on('finish', () => {
      const end = performance.now();
      record(ctx, ctx.req.method ?? 'GET', res.statusCode, routeOf(ctx), end - start, end);
    });
    return next();
  };
}

/**
 * Creates the apilens middleware for Koa 2 and 3. Register it first, before your
 * error handling and routers; it records every request once its response has
 * finished.
 *
 * The status recorded is the one written to the client: for a thrown error or
 * `ctx.throw()`, the status Koa's (or your) error handling answered with (the
 * error's `status`/`statusCode`, else 500). Requests whose connection closes
 * before the response is complete (client aborts) are deliberately not
 * recorded: the client received no status.
 *
 * @param apiKey your apilens API key; without one the middleware does nothing (and warns once)
 * @param config a {@link Config} or an options object; malformed options throw a TypeError here
 * @example
 * import Koa from 'koa';
 * import { koaAnalytics } from '@apilens/koa';
 *
 * const app = new Koa();
 * const analytics = koaAnalytics(process.env.APILENS_API_KEY);
 * app.use(analytics);
 * process.on('SIGTERM', () => analytics.shutdown().finally(() => process.exit(0)));
 */
export function koaAnalytics(
  apiKey: string | undefined | null,
  config?: KoaConfigInput,
): KoaAnalyticsMiddleware {
  return instrument(apiKey, IDENTITY, config, koaMiddleware);
}
