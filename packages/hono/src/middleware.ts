import { type Analytics, Config as CoreConfig, instrument } from '@apilens/core';
import type { Context, Next } from 'hono';
import type { HonoAnalyticsMiddleware, HonoConfigInput } from './types.js';
import { ACCESSORS, executionContext, loadRouteHelper, nodeOutgoing, routeOf, timedBody } from './utils.js';

/** Who reports, for the collector and for messages. */
const IDENTITY = { framework: 'Hono', packageName: '@apilens/hono' };

/**
 * How long a delivery handed to `waitUntil` may keep an edge isolate busy. Workers
 * grant about 30 s after the response; a hung collector must not hold every request's
 * isolate that long, and what is left is sent with a later request's flush.
 */
const WAIT_UNTIL_FLUSH_MS = 5_000;

/**
 * apilens configuration for Hono. Same fields as the core `Config`, with the
 * mappers typed for the Hono `Context`.
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (c) => c.req.header('x-user-id');
 * app.use('*', honoAnalytics(env.APILENS_API_KEY, config));
 */
export class Config<Req extends Context = Context> extends CoreConfig<Req> {}

/**
 * Creates the apilens middleware for Hono 4. Register it first, with
 * `app.use('*', …)`; it records every request once its response has finished.
 *
 * - On Node.js (@hono/node-server) the record is made when the raw response
 *   emits 'finish', so a streamed body is timed to its last byte.
 * - Elsewhere (Cloudflare Workers, Deno, Bun, Vercel Edge) a response body is
 *   passed through a stream that records when its last chunk is read, and,
 *   where the runtime has an execution context, the delivery is handed to
 *   `c.executionCtx.waitUntil()` so it outlives the response.
 *
 * Errors answered by `app.onError` (or Hono's default 500) are recorded with the
 * status of that answer. Requests whose client goes away before the response is
 * complete are deliberately not recorded: the client received no status.
 *
 * @param apiKey your apilens API key; without one the middleware does nothing (and warns once)
 * @param config a {@link Config} or an options object; malformed options throw a TypeError here
 * @example
 * import { Hono } from 'hono';
 * import { honoAnalytics } from '@apilens/hono';
 *
 * const app = new Hono();
 * app.use('*', honoAnalytics(process.env.APILENS_API_KEY));
 */
export function honoAnalytics(
  apiKey: string | undefined | null,
  config?: HonoConfigInput,
): HonoAnalyticsMiddleware {
  return instrument(apiKey, IDENTITY, config, honoMiddleware);
}

/** The middleware {@link honoAnalytics} returns: recording, or (no API key) passing requests on. */
function honoMiddleware(analytics: Analytics<Context>): (c: Context, next: Next) => Promise<void> {
  if (!analytics.enabled) {
    return async function apilensHono(_c, next) {
      await next();
    };
  }
  const record = analytics.createRecorder<Context>(ACCESSORS);
  void loadRouteHelper();
  return async function apilensHono(c, next) {
    const start = performance.now();
    try {
      await next();
    } catch (err) {
      // Only what Hono's compose does not catch (a thrown non-Error) gets here; the server answers 500.
      record(c, c.req.method, 500, routeOf(c, 500), performance.now() - start);
      throw err;
    }
    const outgoing = nodeOutgoing(c);
    if (outgoing !== undefined) {
      // @hono/node-server writes the body after this returns; 'finish' is when the client has all of it.
      const route = routeOf(c, c.res.status);
      outgoing.on('finish', () => {
        const end = performance.now();
        record(c, c.req.method, outgoing.statusCode, route, end - start, end);
      });
      return;
    }
    const res = c.res;
    const status = res.status;
    const route = routeOf(c, status);
    // Workers, Vercel Edge, Netlify: each request hands its delivery to waitUntil, since the
    // isolate may be frozen once the response is sent. Bun, Deno and app.request() have no
    // execution context and batch as on Node.js (interval, full batches, beforeExit).
    const ctx = executionContext(c);
    if (res.body === null || status === 101) {
      record(c, c.req.method, status, route, performance.now() - start);
      ctx?.waitUntil(analytics.flush(WAIT_UNTIL_FLUSH_MS));
      return;
    }
    let settle: () => void = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    c.res = new Response(
      timedBody(res.body, (completed) => {
        if (completed) record(c, c.req.method, status, route, performance.now() - start);
        settle();
      }),
      res,
    );
    ctx?.waitUntil(settled.then(() => analytics.flush(WAIT_UNTIL_FLUSH_MS)));
  };
}
