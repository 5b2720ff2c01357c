import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { DashboardCache } from '../dashboard/cache.js';
import { computeDashboard, keyBounds } from '../dashboard/engine.js';
import { exportQuery } from '../dashboard/export.js';
import { type DashboardRequest, parseDashboardQuery, resolvePeriod } from '../dashboard/query.js';
import { HttpError, preview } from '../errors.js';
import { headerApiKey } from '../keys.js';
import { definePlugin } from '../plugins/define.js';
import type { KeyRecord, SqlReader, Store } from '../types.js';
import { type ExportSlots, sendText, TEXT_CHUNK } from './data/stream.js';
import { textChunkSql, toTextChunk } from './data/text-sql.js';
import { WRITERS } from './data/writers.js';

/** Options of the dashboard routes. */
export interface DashboardOptions {
  /** Responses kept for repeated requests (while the key's data is unchanged); `0` turns it off. */
  cacheEntries: number;
  /** Whole exports streaming per key at once, shared with the data API. */
  exports: ExportSlots;
  now: () => number;
}

const EXPORT_FORMATS = ['csv', 'ndjson'] as const;

/** The store's read-only SQL, or a 501 when the store has none. */
function readerOf(store: Store): SqlReader {
  if (!store.select) {
    throw new HttpError(
      501,
      `the ${store.kind} store cannot serve the dashboard; use the default DuckDB store or PostgreSQL`,
    );
  }
  return {
    dialect: store.kind,
    select: (sql, params) => store.select!(sql, params),
    ...(store.keyBounds && { keyBounds: (keyId: number) => store.keyBounds!(keyId) }),
  };
}

/**
 * GET /api/dashboard/:dashboardId (every figure of a period, one JSON document) and
 * GET /api/dashboard/:dashboardId/export (the period's matching rows, streamed as CSV or NDJSON).
 * The dashboard id is the read-only credential; `X-AUTH-TOKEN` with the key's API key works too.
 */
const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const auth = app.apilensAuth;
  const cache = new DashboardCache(o.cacheEntries);

  /** The key a dashboard request is for: by its API key when one is sent, else by the dashboard id. */
  async function keyOf(request: FastifyRequest): Promise<KeyRecord> {
    const { dashboardId } = request.params as { dashboardId: string };
    const store = app.apilens.store;
    if (headerApiKey(request) !== undefined) {
      const key = await auth.authenticate(request, auth.apiKey(request, 'header'), 'dashboard');
      if (key.dashboardId !== dashboardId) {
        throw new HttpError(404, 'this API key has another dashboard id; GET /api/dashboard-id tells which');
      }
      return key;
    }
    auth.checkAddress(request);
    const key = await store.findKeyByDashboardId(dashboardId);
    if (!key) {
      auth.failed(request);
      throw new HttpError(
        404,
        `no dashboard ${preview(dashboardId)}; check the link, or create a key with POST /api/generate`,
      );
    }
    auth.admit(key, 'dashboard');
    return key;
  }

  app.get('/api/dashboard/:dashboardId', {
    handler: async (request, reply) => {
      const query = parseDashboardQuery(request.query as Record<string, unknown>);
      const key = await keyOf(request);
      await auth.touch(key.id);
      const store = app.apilens.store;
      const reader = readerOf(store);
      const now = o.now();
      reply.header('content-type', 'application/json; charset=utf-8');
      // Cached only where the store can say that the key's data is unchanged (one process).
      const version = store.dataVersion?.(key.id);
      if (version === undefined)
        return JSON.stringify(await computeDashboard(reader, key, query, now, store.kind));
      // The period's end (from the clock) is part of the cache key; its start depends on the data
      // only for `all`, through firstSeen, which the data version covers.
      const cacheKey = `${key.id}\u0000${resolvePeriod(query, now, null).to}\u0000${JSON.stringify(query)}`;
      const cached = cache.get(cacheKey, version);
      if (cached !== undefined) return cached;
      const json = JSON.stringify(await computeDashboard(reader, key, query, now, store.kind));
      cache.set(cacheKey, version, json);
      return json;
    },
  });

  app.get('/api/dashboard/:dashboardId/export', {
    handler: async (request, reply) => {
      const raw = request.query as Record<string, unknown>;
      const format = raw.format ?? 'csv';
      if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new HttpError(
          400,
          `parameter "format" must be ${EXPORT_FORMATS.join(' or ')}, got ${preview(format)}`,
        );
      }
      const query: DashboardRequest = parseDashboardQuery(raw, ['format']);
      const key = await keyOf(request);
      await auth.touch(key.id);
      const reader = readerOf(app.apilens.store);
      const [firstSeen] = query.period === 'all' ? await keyBounds(reader, key.id) : [null];
      const period = resolvePeriod(query, o.now(), firstSeen);
      o.exports.take(key.id, reply);
      // The database writes the text (data/text-sql.ts); the event loop only passes it on.
      const f = format as (typeof EXPORT_FORMATS)[number];
      return sendText(request, reply, WRITERS[f], async (after) => {
        const q = exportQuery(reader.dialect, key.id, query, period, TEXT_CHUNK, after);
        const rows = await o.exports.read(reader.dialect, () =>
          app.apilens.store.select!(textChunkSql(reader.dialect, f, q.sql), q.params, { background: true }),
        );
        return toTextChunk(rows);
      });
    },
  });
};

export default definePlugin(dashboardRoutes, { name: 'apilens-dashboard', uses: ['apilens', 'apilensAuth'] });
