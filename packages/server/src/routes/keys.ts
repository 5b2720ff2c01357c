import type { FastifyInstance } from 'fastify';
import { HttpError, storeFailure } from '../errors.js';
import { generateApiKey, generateDashboardId, hashApiKey, headerApiKey } from '../keys.js';
import type { Store } from '../types.js';
import type { AppContext } from './context.js';

/** Creates a key in the store; returns the key (shown once) and its dashboard id. */
export async function createApiKey(
  store: Store,
  now: number,
): Promise<{ api_key: string; dashboard_id: string }> {
  const apiKey = generateApiKey();
  const dashboardId = generateDashboardId();
  await store.createKey({ keyHash: hashApiKey(apiKey), dashboardId, createdAt: now });
  return { api_key: apiKey, dashboard_id: dashboardId };
}

/** POST /api/generate, GET /api/dashboard-id, DELETE /api/delete. */
export function registerKeys(app: FastifyInstance, ctx: AppContext): void {
  const perHour = ctx.options.generatePerHour;
  app.post('/api/generate', {
    config:
      perHour > 0
        ? {
            rateLimit: {
              max: perHour,
              timeWindow: 3_600_000,
              errorResponseBuilder: (_req: unknown, c: { after: string; max: number }) =>
                new HttpError(
                  429,
                  `this address created ${c.max} keys in the last hour, the limit; retry in ${c.after}`,
                ),
            },
          }
        : {},
    handler: async () => {
      if (perHour === 0) {
        throw new HttpError(
          403,
          'key generation over HTTP is disabled on this collector; run `apilens keys create` on its host',
        );
      }
      try {
        return await createApiKey(ctx.store, ctx.options.now());
      } catch (err) {
        throw storeFailure(err);
      }
    },
  });

  const keyFromHeader = async (request: Parameters<typeof headerApiKey>[0]) => {
    const apiKey = headerApiKey(request);
    if (!apiKey) throw new HttpError(401, 'missing API key; send it in the X-AUTH-TOKEN header');
    const key = await ctx.findKey(apiKey);
    if (!key) throw ctx.unknownKey();
    return key;
  };

  app.get('/api/dashboard-id', {
    config: { rateLimit: ctx.keyRateLimit((req) => headerApiKey(req)) },
    handler: async (request) => {
      const key = await keyFromHeader(request);
      return { dashboard_id: key.dashboardId };
    },
  });

  app.delete('/api/delete', {
    config: { rateLimit: ctx.keyRateLimit((req) => headerApiKey(req)) },
    handler: async (request) => {
      const key = await keyFromHeader(request);
      try {
        const deleted = await ctx.store.deleteKey(key.id);
        return { deleted };
      } catch (err) {
        throw storeFailure(err);
      }
    },
  });
}
