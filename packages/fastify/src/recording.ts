// How a request on Fastify is recorded: one root onResponse hook, the route template from the
// route's options. Used by the plugin and by @apilens/nestjs on Nest's Fastify platform.
import { type Analytics, nodeAccessors } from '@apilens/core';
import type { FastifyLikeRequest, OnResponseHook } from './internal-types.js';

// Raw values only: the core strips the query string and splits x-forwarded-for at flush time.
const ACCESSORS = nodeAccessors<FastifyLikeRequest>(
  (req) => req.raw,
  (req) => req.url,
);

/** A route's `config` as Fastify 4 and 5 keep it: the user's config plus the route's `url` and `method`. */
type RouteConfig = { url?: string | undefined; analytics?: boolean } | undefined;

/**
 * Where Fastify keeps each request's route context (`this[kRouteContext] = context` in
 * Fastify 4 and 5), whose `config` is the route's: `null` when requests have no such symbol.
 * `request.routeOptions.config` is the same object, but the getter builds a twelve-field
 * object (and asks the router about version constraints) on every read. Several copies of
 * Fastify (4 and 5, or an ESM and a CJS build) have a symbol each: a request of another copy
 * has none of this one, and is read through `routeOptions`.
 */
let contextKey: symbol | null | undefined;

function routeConfig(request: FastifyLikeRequest): RouteConfig {
  if (contextKey === undefined) {
    contextKey =
      Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
  }
  if (contextKey !== null) {
    const context = (request as unknown as Record<symbol, { config?: RouteConfig } | undefined>)[contextKey];
    if (context !== undefined) return context.config;
  }
  return request.routeOptions?.config;
}

/**
 * Where Fastify keeps a reply's end reading (`reply[kReplyEndTime] = now()` when the response
 * finishes, before the `onResponse` hooks run): `null` when replies have no such symbol.
 * Found once, like {@link contextKey}.
 */
let endKey: symbol | null | undefined;

/**
 * True when the request's Fastify reads its clock with `performance.now()` (Fastify 5; Fastify 4
 * reads `process.hrtime()`, another origin). Its end reading then dates the request through the
 * recorder's wall clock: no `Date.now()` per request, which cost a third of the hook in profiles.
 */
function performanceClock(request: FastifyLikeRequest): boolean {
  const major = Number.parseInt(String(request.server?.version), 10);
  return major >= 5;
}

/**
 * The `onResponse` hook that records every request once its response was sent: matched
 * routes, 404s (`route: null`) and errors alike, with the status the client got.
 * `reply.elapsedTime` is measured by Fastify from the start of the request, so no
 * `onRequest` hook (and no per-request state) is needed. A route whose `config` has
 * `analytics: false` is left out.
 *
 * @param analytics the client the records go to (enabled: the caller checks)
 * @param accept leaves further requests out when it answers false @default every request
 * @example
 * fastify.addHook('onResponse', recordingHook(analytics));
 */
export function recordingHook<Req extends FastifyLikeRequest>(
  analytics: Analytics<Req>,
  accept?: (request: Req) => boolean,
): OnResponseHook<Req> {
  const record = analytics.createRecorder<Req>(ACCESSORS);
  // Decided on the first request: whether Fastify's end reading can date requests.
  let datesFromEnd: boolean | undefined;
  return function apilensOnResponse(request, reply, done) {
    const config = routeConfig(request);
    if (config?.analytics !== false && (accept === undefined || accept(request))) {
      if (datesFromEnd === undefined) {
        endKey ??=
          Object.getOwnPropertySymbols(reply).find((s) => s.description === 'fastify.reply.endTime') ?? null;
        datesFromEnd = endKey !== null && performanceClock(request);
      }
      const end = datesFromEnd ? (reply as unknown as Record<symbol, unknown>)[endKey as symbol] : undefined;
      record(
        request,
        request.method,
        reply.statusCode,
        config?.url ?? null,
        reply.elapsedTime,
        typeof end === 'number' ? end : undefined,
      );
    }
    done();
  };
}
