import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { hashApiKey, headerApiKey, normaliseApiKey } from '../keys.js';
import { Lru } from '../lru.js';
import { DEFAULTS } from '../options.js';
import { type KeyRecord, UnknownKeyError } from '../types.js';
import { WindowCounter } from '../window-counter.js';
import { definePlugin } from './define.js';

/** Where a route takes the API key from: `X-AUTH-TOKEN` (or `API-Key`), or the ingest body's `api_key`. */
export type KeySource = 'header' | 'body';

/**
 * The per-key rate limit's buckets: each key has one per kind of endpoint, so that reading a
 * dashboard never uses up the quota its SDK ingests with. Both ingest paths share `ingest`.
 */
export type RateBucket = 'ingest' | 'data' | 'dashboard' | 'keys';

/** API-key authentication and rate limits, shared by every route that takes a key (`app.apilensAuth`). */
export interface ApiKeyAuth {
  /**
   * The key a request carries; a 401 saying where to put it when there is none (a failed
   * authentication of the client address), a 429 when the address is over its limit of failed
   * authentications and the key is not one that authenticated recently.
   */
  apiKey(request: FastifyRequest, from: KeySource): string;
  /**
   * The stored key, counted in its rate-limit bucket: a 401 when the store does not know it (a
   * failed authentication of the address), a 429 over the key's limit, a 503 when the store fails.
   */
  authenticate(request: FastifyRequest, apiKey: string, bucket: RateBucket): Promise<KeyRecord>;
  /** Counts a request for a key found otherwise (a dashboard id) in its bucket; a 429 over the limit. */
  admit(key: KeyRecord, bucket: RateBucket): void;
  /** Counts a failed authentication (an unknown dashboard id) of the request's address. */
  failed(request: FastifyRequest): void;
  /** A 429 when the request's address is over its limit of failed authentications. */
  checkAddress(request: FastifyRequest): void;
  /** Records use of a key (ingest or read) for the retention job; never fails the request. */
  touch(keyId: number): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilensAuth: ApiKeyAuth;
  }
}

/** Options of the auth plugin. */
export interface AuthPluginOptions {
  /** Requests per minute per key and bucket; `0` turns the limit off. */
  rateLimitPerMinute: number;
  /** Failed authentications per minute per client address; `0` turns the limit off. */
  authFailuresPerMinute: number;
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

/** Ids counted per window: keys (only ones the store knows) and addresses. */
const MAX_COUNTED = 100_000;

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, o) => {
  // last_used_at is rewritten at most hourly by the store anyway; skip even asking more often.
  const touched = new Map<number, number>();
  const perKey = new WindowCounter(60_000, MAX_COUNTED, o.now);
  const failures = new WindowCounter(60_000, MAX_COUNTED, o.now);
  // Keys that authenticated lately pass an address that is over its failure limit: behind one
  // NAT or proxy, a client sending junk keys must not lock out the SDKs sending a real one.
  const recentlyValid = new Lru<string, true>(10_000);

  const overFailures = (request: FastifyRequest) =>
    o.authFailuresPerMinute > 0 && failures.count(request.ip) >= o.authFailuresPerMinute;
  const tooManyFailures = () =>
    new HttpError(
      429,
      `more than ${o.authFailuresPerMinute} requests with a missing or unknown API key from this address in a minute; check the key, retry in ${failures.secondsLeft()} s`,
      { 'retry-after': String(failures.secondsLeft()) },
    );
  const fail = (request: FastifyRequest) => {
    if (o.authFailuresPerMinute > 0) failures.hit(request.ip);
  };

  const auth: ApiKeyAuth = {
    apiKey(request, from) {
      const key = keyOf[from](request);
      if (overFailures(request) && (key === undefined || recentlyValid.get(key) === undefined)) {
        throw tooManyFailures();
      }
      if (!key) {
        fail(request);
        throw new HttpError(401, MISSING[from]);
      }
      return key;
    },

    async authenticate(request, apiKey, bucket) {
      const key = await app.apilens.store.findKeyByHash(hashApiKey(apiKey));
      if (!key) {
        fail(request);
        throw new UnknownKeyError();
      }
      recentlyValid.set(apiKey, true);
      auth.admit(key, bucket);
      return key;
    },

    admit(key, bucket) {
      if (o.rateLimitPerMinute === 0) return;
      if (perKey.hit(`${bucket}:${key.id}`) > o.rateLimitPerMinute) {
        const after = perKey.secondsLeft();
        throw new HttpError(
          429,
          `rate limit of ${o.rateLimitPerMinute} ${bucket} requests per minute for this API key exceeded; retry in ${after} s (see the Retry-After header)`,
          { 'retry-after': String(after) },
        );
      }
    },

    failed: fail,

    checkAddress(request) {
      if (overFailures(request)) throw tooManyFailures();
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
  };
  app.decorate('apilensAuth', auth);
};

export default definePlugin(authPlugin, {
  name: 'apilens-auth',
  uses: ['apilens'],
  shared: true,
});
