import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { installBodyParsing } from './body.js';
import { HttpError, installErrorHandlers, storeFailure } from './errors.js';
import { bundledGeoipDb, type CountryLookup, openCountryLookup } from './ingest/geoip.js';
import { UserAgentCache } from './ingest/user-agent.js';
import { hashApiKey } from './keys.js';
import { DEFAULTS, resolveOptions, type ServerOptions } from './options.js';
import { runRetention } from './retention.js';
import type { AppContext } from './routes/context.js';
import { registerData } from './routes/data.js';
import { registerHealth } from './routes/health.js';
import { registerIngest } from './routes/ingest.js';
import { registerKeys } from './routes/keys.js';
import { openStore } from './store/index.js';
import { type DeleteCounts, type Store, UnknownKeyError } from './types.js';

/** What {@link buildServer} decorates the Fastify instance with, as `app.apilens`. */
export interface ApilensDecoration {
  /** The store, available once `app.ready()` (or `listen`) has resolved. */
  readonly store: Store;
  /** Runs the retention job now (it also runs on its own every `retentionIntervalMs`). */
  runRetention(): Promise<DeleteCounts>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilens: ApilensDecoration;
  }
}

/**
 * Builds the collector as a Fastify instance: ingest, data API, keys, deletion and health
 * routes. The store (and GeoIP database) are opened on `ready()`/`listen()` and closed on
 * `close()`, which first lets in-flight batches finish. More routes can be registered on the
 * returned instance before it is started.
 *
 * @example
 * const app = buildServer({ db: './apilens.db' });
 * await app.listen({ port: 8787, host: '127.0.0.1' });
 */
export function buildServer(options: ServerOptions = {}): FastifyInstance {
  const o = resolveOptions(options);
  let store: Store | undefined = o.store;
  let geo: CountryLookup | null = null;
  let retentionTimer: NodeJS.Timeout | undefined;

  const app = Fastify({
    logger: o.logger,
    bodyLimit: o.maxBodyBytes,
    // One log line per request would dominate at ingest rates; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Closing is handled below, with a JSON 503 and Connection: close.
    return503OnClosing: false,
    // Types are checked as sent: "200" is not a status, and a lone object is not a list of requests.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });

  const ready = () => {
    if (!store) throw new Error('@apilens/server: the store is not open yet; await app.ready() first');
    return store;
  };

  const keyRateLimit: AppContext['keyRateLimit'] = (keyOf) => {
    if (o.rateLimitPerMinute === 0) return undefined;
    return {
      max: o.rateLimitPerMinute,
      timeWindow: 60_000,
      // After parsing, so the key in an ingest body can be read.
      hook: 'preHandler',
      keyGenerator: (request: FastifyRequest) => {
        const key = keyOf(request);
        return key ? `key:${key.slice(0, 200)}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request: FastifyRequest, c: { after: string; max: number }) =>
        new HttpError(
          429,
          `rate limit of ${c.max} requests per minute for this API key exceeded; retry in ${c.after} (see the Retry-After header)`,
        ),
    };
  };

  const touched = new Map<number, number>();
  const ctx: AppContext = {
    options: o,
    get store() {
      return ready();
    },
    get geo() {
      return geo;
    },
    userAgents: new UserAgentCache(o.userAgentCacheSize),
    async findKey(apiKey) {
      try {
        return await ready().findKeyByHash(hashApiKey(apiKey));
      } catch (err) {
        throw storeFailure(err);
      }
    },
    async insert(keyId, rows, userAgents) {
      try {
        await ready().insertRequests(keyId, rows, userAgents);
      } catch (err) {
        if (err instanceof UnknownKeyError) throw ctx.unknownKey();
        throw storeFailure(err);
      }
    },
    async touch(keyId) {
      // The store rewrites last_used_at at most hourly anyway; skip even asking more often.
      const now = o.now();
      const last = touched.get(keyId);
      if (last !== undefined && last <= now && now - last < DEFAULTS.touchIntervalMs) return;
      if (touched.size >= 10_000) touched.clear();
      touched.set(keyId, now);
      try {
        await ready().touchKey(keyId, o.now(), DEFAULTS.touchIntervalMs);
      } catch (err) {
        app.log.warn({ err }, 'could not record the last use of a key');
      }
    },
    unknownKey: () =>
      new HttpError(401, 'unknown API key; create one with POST /api/generate or `apilens keys create`'),
    keyRateLimit,
  };

  const retention = async () => runRetention(ready(), o.now(), o.retentionMonths);

  app.decorate('apilens', {
    get store() {
      return ready();
    },
    runRetention: retention,
  } satisfies ApilensDecoration);

  installErrorHandlers(app, o.maxBodyBytes);
  installBodyParsing(app, o.maxBodyBytes);
  app.register(rateLimit, { global: false });

  app.addHook('onReady', async () => {
    store ??= await openStore({ db: o.db, databaseUrl: o.databaseUrl });
    if (o.store) await o.store.migrate();
    if (o.geoipDb !== false) {
      try {
        geo = await openCountryLookup(o.geoipDb ?? bundledGeoipDb());
      } catch (err) {
        if (!o.store) await store.close();
        throw err;
      }
    }
    if (o.retentionMonths > 0) {
      retentionTimer = setInterval(() => {
        retention().then(
          (d) => {
            if (d.keys > 0) app.log.info({ deleted: d }, 'retention: deleted unused keys and their data');
          },
          (err) => app.log.error({ err }, 'retention job failed'),
        );
      }, o.retentionIntervalMs);
      retentionTimer.unref();
    }
  });

  // Shutdown: requests already being processed finish (a batch still commits and gets its 200);
  // new ones get a 503 to retry elsewhere or later; every response then closes its connection,
  // so keep-alive clients cannot hold the process open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (closing) {
      reply.header('connection', 'close');
      throw new HttpError(503, 'the collector is shutting down; retry in a few seconds', {
        'retry-after': '5',
      });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.addHook('onClose', async () => {
    if (retentionTimer) clearInterval(retentionTimer);
    // A store passed in belongs to the caller.
    if (store && !o.store) await store.close();
  });

  app.register(async (api) => {
    registerIngest(api, ctx);
    registerData(api, ctx);
    registerKeys(api, ctx);
    registerHealth(api, ctx);
  });

  return app;
}
