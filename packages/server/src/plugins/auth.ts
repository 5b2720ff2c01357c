import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { hashApiKey, headerApiKey, normaliseApiKey } from '../keys.js';
import { DEFAULTS } from '../options.js';
import { type KeyRecord, UnknownKeyError } from '../types.js';
import { definePlugin } from './define.js';

/** Where a route takes the API key from: `X-AUTH-TOKEN` (or `API-Key`), or the ingest body's `api_key`. */
export type KeySource = 'header' | 'body';

/** API-key authentication, shared by every route that takes a key (`app.apilensAuth`). */
export interface ApiKeyAuth {
  /** The key a request carries; a 401 saying where to put it when there is none. */
  apiKey(request: FastifyRequest, from: KeySource): string;
  /** The stored key; a 401 when the store does not know it, a 503 when the store fails. */
  authenticate(apiKey: string): Promise<KeyRecord>;
  /** Records use of a key (ingest or read) for the retention job; never fails the request. */
  touch(keyId: number): Promise<void>;
  /**
   * Route config of the per-key rate limit (`config: { rateLimit }`), keyed by the key the request
   * carries (else the client address); `undefined` when the limit is off.
   */
  rateLimit(from: KeySource): RateLimitOptions | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilensAuth: ApiKeyAuth;
  }
}

/** Options of the auth plugin. */
export interface AuthPluginOptions {
  /** Requests per minute per key and route; `0` turns the limit off. */
  rateLimitPerMinute: number;
  now: () => number;
}

const MISSING: Record<KeySource, string> = {
  header: 'missing API key; send it in the X-AUTH-TOKEN header',
  body: 'missing api_key; put your API key in the "api_key" field of the JSON body',
};

const keyOf: Record<KeySource, (request: FastifyRequest) => string | undefined> = {
  header: headerApiKey,
  body: (request) => normaliseApiKey((request.body as { api_key?: unknown } | undefined)?.api_key),
};

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, o) => {
  // last_used_at is rewritten at most hourly by the store anyway; skip even asking more often.
  const touched = new Map<number, number>();

  app.decorate('apilensAuth', {
    apiKey(request, from) {
      const key = keyOf[from](request);
      if (!key) throw new HttpError(401, MISSING[from]);
      return key;
    },

    async authenticate(apiKey) {
      const key = await app.apilens.store.findKeyByHash(hashApiKey(apiKey));
      if (!key) throw new UnknownKeyError();
      return key;
    },

    async touch(keyId) {
      const now = o.now();
      const last = touched.get(keyId);
      if (last !== undefined && last <= now && now - last < DEFAULTS.touchIntervalMs) return;
      if (touched.size >= 10_000) touched.clear();
      touched.set(keyId, now);
      try {
        await app.apilens.store.touchKey(keyId, o.now(), DEFAULTS.touchIntervalMs);
      } catch (err) {
        app.log.warn({ err }, 'could not record the last use of a key');
      }
    },

    rateLimit(from) {
      if (o.rateLimitPerMinute === 0) return undefined;
      return {
        max: o.rateLimitPerMinute,
        timeWindow: 60_000,
        // After parsing, so the key in an ingest body can be read.
        hook: 'preHandler',
        keyGenerator: (request: FastifyRequest) => {
          const key = keyOf[from](request);
          return key ? `key:${key.slice(0, 200)}` : `ip:${request.ip}`;
        },
        errorResponseBuilder: (_request, c) =>
          new HttpError(
            429,
            `rate limit of ${c.max} requests per minute for this API key exceeded; retry in ${c.after} (see the Retry-After header)`,
          ),
      };
    },
  } satisfies ApiKeyAuth);
};

export default definePlugin(authPlugin, {
  name: 'apilens-auth',
  uses: ['apilens', 'rateLimit'],
  shared: true,
});
