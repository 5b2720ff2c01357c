// How a request on Fastify is recorded: one root onResponse hook, the route template from the
// route's options. Used by the plugin and by @apilens/nestjs on Nest's Fastify platform.
import { type Analytics, nodeAccessors } from '@apilens/core';
import type { FastifyLikeRequest, OnResponseHook } from './internal-types.js';

// Raw values only: the core strips the query string and splits x-forwarded-for at flush time.
const ACCESSORS = nodeAccessors<FastifyLikeRequest>(
  (req) => req.raw,
  (req) => req.url,
);

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
  return function apilensOnResponse(request, reply, done) {
    const route = request.routeOptions;
    if (route?.config?.analytics !== false && (accept === undefined || accept(request))) {
      record(request, request.method, reply.statusCode, route?.url ?? null, reply.elapsedTime);
    }
    done();
  };
}
