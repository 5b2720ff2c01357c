import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { NewRequestRow } from '../columns.js';
import { HttpError } from '../errors.js';
import { type CompactBody, compactRows } from '../ingest/compact.js';
import { bundledGeoipDb, openCountryLookup } from '../ingest/geoip.js';
import { UserAgentCache } from '../ingest/user-agent.js';
import { clean, validateRow } from '../ingest/validate.js';
import { definePlugin } from '../plugins/define.js';
import type { UserAgentInfo } from '../types.js';

interface Payload {
  api_key?: string;
  framework?: string | null;
  privacy_level?: number | null;
  requests?: unknown[];
}

/** Only the envelope is schema-checked: rows are validated one by one so one bad row rejects only itself. */
const envelope = {
  api_key: { type: 'string' },
  framework: { type: ['string', 'null'] },
  privacy_level: { type: ['integer', 'null'] },
} as const;
const bodySchema = {
  type: 'object',
  properties: { ...envelope, requests: { type: 'array' } },
} as const;
/** The compact format's structure is checked by `compactRows`, with messages that point at the fault. */
const compactSchema = { type: 'object', properties: envelope } as const;

/** The SDK's id of a POST, the same on its retries (`@apilens/core` sender.ts). */
const BATCH_ID_HEADER = 'apilens-batch-id';
const BATCH_ID = /^[\w-]{1,100}$/;

/** The request's batch id, if it sent one; a malformed one is a 400 (nothing stored). */
function batchId(request: FastifyRequest): string | undefined {
  const value = request.headers[BATCH_ID_HEADER];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && BATCH_ID.test(value)) return value;
  throw new HttpError(
    400,
    `header ${BATCH_ID_HEADER} must be 1 to 100 letters, digits, "-" or "_" (one header), got ${JSON.stringify(value).slice(0, 60)}; send a new random id per batch, the same on its retries, or none`,
  );
}

/** Options of the ingest routes. */
export interface IngestOptions {
  maxBatchRows: number;
  /** `.mmdb` file, `undefined` for the bundled one, `false` for no country lookup. */
  geoipDb: string | false | undefined;
  userAgentCacheSize: number;
  now: () => number;
}

/**
 * POST /api/log-request and its upstream alias POST /api/requests (the row format), and
 * POST /api/log-columns (the compact format of apilens SDKs, docs/wire-format.md): both become
 * the same rows, validated and stored the same way. The GeoIP database is read when the plugin
 * loads, so a missing file stops the server before the store is opened.
 */
const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, o) => {
  const auth = app.apilensAuth;
  const geo = o.geoipDb === false ? null : await openCountryLookup(o.geoipDb ?? bundledGeoipDb());
  const userAgents = new UserAgentCache(o.userAgentCacheSize);

  const handler = async (request: FastifyRequest) => {
    const apiKey = auth.apiKey(request, 'body');
    const body = request.body as Payload;
    const raw = body.requests;
    if (!raw || raw.length === 0) {
      throw new HttpError(400, '"requests" is empty; send at least one request row');
    }
    if (raw.length > o.maxBatchRows) {
      throw new HttpError(
        413,
        `batch has ${raw.length} rows, more than the limit of ${o.maxBatchRows} rows per batch; send smaller batches (SDK maxBatchSize) or raise --max-batch-rows`,
      );
    }
    return store(request, apiKey, body, raw);
  };

  const compactHandler = async (request: FastifyRequest) => {
    const apiKey = auth.apiKey(request, 'body');
    const body = request.body as Payload;
    return store(request, apiKey, body, compactRows(request.body as CompactBody, o.maxBatchRows));
  };

  /** Validates the rows of a batch one by one and stores the valid ones in one transaction. */
  const store = async (request: FastifyRequest, apiKey: string, body: Payload, raw: unknown[]) => {
    const batch = batchId(request);
    // Every ingest path counts in one bucket of the key's rate limit.
    const key = await auth.authenticate(request, apiKey, 'ingest');

    // Privacy: 0 stores the IP and its country; 1 keeps only the country; 2 (or more) neither.
    const privacy = typeof body.privacy_level === 'number' ? body.privacy_level : 0;
    const framework =
      typeof body.framework === 'string' && body.framework !== '' ? clean(body.framework) : null;
    const now = o.now();
    const rows: NewRequestRow[] = [];
    const rejected: { index: number; error: string }[] = [];
    const agents = new Map<string, UserAgentInfo>();
    for (let i = 0; i < raw.length; i++) {
      const result = validateRow(raw[i], now);
      if (!result.ok) {
        rejected.push({ index: i, error: result.error });
        continue;
      }
      const r = result.row;
      const ip = privacy >= 2 ? null : r.ipAddress;
      if (r.userAgent !== null && !agents.has(r.userAgent)) {
        agents.set(r.userAgent, userAgents.get(r.userAgent));
      }
      r.ipAddress = privacy <= 0 ? ip : null;
      r.location = ip !== null && geo ? geo.country(ip) : null;
      r.framework = framework;
      rows.push(r);
    }
    if (rows.length > 0) await app.apilens.store.insertRequests(key.id, rows, agents, batch);
    await auth.touch(key.id);
    return { accepted: rows.length, rejected };
  };

  const routes = [
    { url: '/api/log-request', schema: bodySchema, handler, shape: '"requests": [ … ]' },
    { url: '/api/requests', schema: bodySchema, handler, shape: '"requests": [ … ]' },
    { url: '/api/log-columns', schema: compactSchema, handler: compactHandler, shape: '"v": 1, "count": …' },
  ];
  for (const route of routes) {
    app.post(route.url, {
      schema: { body: route.schema },
      preValidation: async (request) => {
        if (request.body === undefined) {
          throw new HttpError(
            400,
            `request body is empty; send {"api_key": "…", "framework": "…", "privacy_level": 0, ${route.shape}}`,
          );
        }
      },
      handler: route.handler,
    });
  }
};

export default definePlugin(ingestRoutes, { name: 'apilens-ingest', uses: ['apilens', 'apilensAuth'] });
