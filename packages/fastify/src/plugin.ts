import { Analytics, attachControls, nodeAccessors, OPTION_NAMES } from '@apilens/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { ApilensHandle, FastifyAnalyticsOptions } from './types.js';

const PACKAGE = '@apilens/fastify';

function checkOptions(options: unknown): FastifyAnalyticsOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${PACKAGE}: the plugin options must be an object such as { apiKey, config }, got ${Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  const o = options as Record<string, unknown>;
  // Config fields put next to apiKey instead of inside `config`.
  const misplaced = OPTION_NAMES.find((k) => k in o);
  if (misplaced !== undefined) {
    throw new TypeError(
      `${PACKAGE}: options.${misplaced} is not a plugin option: put it inside options.config, e.g. app.register(fastifyAnalytics, { apiKey, config: { ${misplaced}: … } }).`,
    );
  }
  if (o.apiKey !== undefined && o.apiKey !== null && typeof o.apiKey !== 'string') {
    throw new TypeError(
      `${PACKAGE}: options.apiKey must be a string (the key from \`apilens keys create\`), got ${typeof o.apiKey}.`,
    );
  }
  return o as FastifyAnalyticsOptions;
}

function apilensPlugin(
  fastify: FastifyInstance,
  options: FastifyAnalyticsOptions,
  done: (err?: Error) => void,
): void {
  if (fastify.hasDecorator('apilens')) {
    done(
      new Error(
        `${PACKAGE}: the plugin is registered twice on this instance (or on a parent of it), which would record every request twice. Register it once, at the root.`,
      ),
    );
    return;
  }
  let analytics: Analytics<FastifyRequest>;
  try {
    const opts = checkOptions(options);
    analytics = new Analytics<FastifyRequest>(opts.apiKey, 'Fastify', opts.config);
  } catch (err) {
    done(err as Error);
    return;
  }

  const record = analytics.createRecorder(
    nodeAccessors<FastifyRequest>(
      (req) => req.raw,
      (req) => req.url,
    ),
  );

  const handle: ApilensHandle = attachControls({}, analytics);
  fastify.decorate('apilens', handle);

  if (analytics.enabled) {
    // onResponse runs once the response is sent, for every request: matched routes, 404s and
    // errors alike. reply.elapsedTime is measured by Fastify from the start of the request, so no
    // onRequest hook (and no per-request state) is needed.
    fastify.addHook(
      'onResponse',
      function apilensOnResponse(
        request: FastifyRequest,
        reply: FastifyReply,
        next: HookHandlerDoneFunction,
      ) {
        const route = request.routeOptions;
        if (route.config?.analytics !== false) {
          record(request, request.method, reply.statusCode, route.url ?? null, reply.elapsedTime);
        }
        next();
      },
    );
  }
  // Runs on app.close(): delivers what is still queued before the server is gone.
  fastify.addHook('onClose', (_instance, next) => {
    analytics.shutdown().then(() => next(), next);
  });
  done();
}

/**
 * Fastify plugin that records every request (route template, status, response time, …) and
 * ships the records to your apilens collector. Register it at the root: it sees the routes of
 * every child plugin, prefixes included. `app.close()` delivers the records still queued.
 *
 * @example
 * import Fastify from 'fastify';
 * import { fastifyAnalytics } from '@apilens/fastify';
 *
 * const app = Fastify();
 * await app.register(fastifyAnalytics, { apiKey: process.env.APILENS_API_KEY });
 * app.get('/health', { config: { analytics: false } }, async () => 'ok'); // not recorded
 */
export const fastifyAnalytics = fp<FastifyAnalyticsOptions>(apilensPlugin, {
  fastify: '4.x || 5.x',
  name: PACKAGE,
});
