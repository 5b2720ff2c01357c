import { Analytics, attachControls, Config as CoreConfig } from '@apilens/core';
import { OPTION_NAMES } from '@apilens/core/internal';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { recordingHook } from './recording.js';
import type { ApilensHandle, FastifyAnalyticsOptions } from './types.js';

const PACKAGE = '@apilens/fastify';
/** Who reports, for the collector and for messages. */
const IDENTITY = { framework: 'Fastify', packageName: PACKAGE };

/**
 * apilens configuration for Fastify. Same fields as the core `Config`, with the
 * mappers typed for the `FastifyRequest`.
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (request) => request.headers['x-user-id'];
 * await app.register(fastifyAnalytics, { apiKey: process.env.APILENS_API_KEY, config });
 */
export class Config<Req extends FastifyRequest = FastifyRequest> extends CoreConfig<Req> {}

function checkOptions(options: unknown): FastifyAnalyticsOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${PACKAGE}: the plugin options must be an object such as { apiKey, config }, got ${Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  const o = options as Record<string, unknown>;
  // Config fields put next to apiKey instead of inside `config`.
  const misplaced = OPTION_NAMES.find((k: string) => k in o);
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
    analytics = new Analytics<FastifyRequest>(opts.apiKey, IDENTITY, opts.config);
  } catch (err) {
    done(err as Error);
    return;
  }

  const handle: ApilensHandle = attachControls({}, analytics);
  fastify.decorate('apilens', handle);
  // A root hook (fastify-plugin lifts it out of encapsulation): it sees every route, prefixes included.
  if (analytics.enabled) fastify.addHook('onResponse', recordingHook(analytics));
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
