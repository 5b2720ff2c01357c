import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import { clean, validateRow } from '../ingest/validate.js';
import { normaliseApiKey } from '../keys.js';
import type { NewRequestRow, UserAgentInfo } from '../types.js';
import type { AppContext } from './context.js';

interface Payload {
  api_key?: string;
  framework?: string | null;
  privacy_level?: number | null;
  requests?: unknown[];
}

/** Only the envelope is schema-checked: rows are validated one by one so one bad row rejects only itself. */
const bodySchema = {
  type: 'object',
  properties: {
    api_key: { type: 'string' },
    framework: { type: ['string', 'null'] },
    privacy_level: { type: ['integer', 'null'] },
    requests: { type: 'array' },
  },
} as const;

/** POST /api/log-request and its upstream alias POST /api/requests. */
export function registerIngest(app: FastifyInstance, ctx: AppContext): void {
  const { options } = ctx;
  const handler = async (request: { body: unknown }) => {
    const body = request.body as Payload;
    const apiKey = normaliseApiKey(body.api_key);
    if (!apiKey) {
      throw new HttpError(401, 'missing api_key; put your API key in the "api_key" field of the JSON body');
    }
    const raw = body.requests;
    if (!raw || raw.length === 0) {
      throw new HttpError(400, '"requests" is empty; send at least one request row');
    }
    if (raw.length > options.maxBatchRows) {
      throw new HttpError(
        413,
        `batch has ${raw.length} rows, more than the limit of ${options.maxBatchRows} rows per batch; send smaller batches (SDK maxBatchSize) or raise --max-batch-rows`,
      );
    }
    const key = await ctx.findKey(apiKey);
    if (!key) throw ctx.unknownKey();

    // Privacy: 0 stores the IP and its country; 1 keeps only the country; 2 (or more) neither.
    const privacy = typeof body.privacy_level === 'number' ? body.privacy_level : 0;
    const framework =
      typeof body.framework === 'string' && body.framework !== '' ? clean(body.framework) : null;
    const now = options.now();
    const rows: NewRequestRow[] = [];
    const rejected: { index: number; error: string }[] = [];
    const userAgents = new Map<string, UserAgentInfo>();
    for (let i = 0; i < raw.length; i++) {
      const result = validateRow(raw[i], now);
      if (!result.ok) {
        rejected.push({ index: i, error: result.error });
        continue;
      }
      const r = result.row;
      const ip = privacy >= 2 ? null : r.ipAddress;
      const location = ip !== null && ctx.geo ? ctx.geo.country(ip) : null;
      if (r.userAgent !== null && !userAgents.has(r.userAgent)) {
        userAgents.set(r.userAgent, ctx.userAgents.get(r.userAgent));
      }
      rows.push({
        hostname: r.hostname,
        ipAddress: privacy <= 0 ? ip : null,
        path: r.path,
        route: r.route,
        userAgent: r.userAgent,
        method: r.method,
        status: r.status,
        responseTime: r.responseTime,
        location,
        userId: r.userId,
        framework,
        createdAt: r.createdAt,
      });
    }
    if (rows.length > 0) await ctx.insert(key.id, rows, userAgents);
    await ctx.touch(key.id);
    return { accepted: rows.length, rejected };
  };

  for (const url of ['/api/log-request', '/api/requests']) {
    app.post(url, {
      schema: { body: bodySchema },
      config: {
        rateLimit: ctx.keyRateLimit((req) => normaliseApiKey((req.body as Payload | undefined)?.api_key)),
      },
      preValidation: async (request) => {
        if (request.body === undefined) {
          throw new HttpError(
            400,
            'request body is empty; send {"api_key": "…", "framework": "…", "privacy_level": 0, "requests": [ … ]}',
          );
        }
      },
      handler,
    });
  }
}
