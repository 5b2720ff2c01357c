import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { generateApiKey, generateDashboardId, hashApiKey } from '../keys.js';
import { definePlugin } from '../plugins/define.js';
import type { Store } from '../types.js';

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

/** Options of the key routes. */
export interface KeysOptions {
  /** Keys `POST /api/generate` creates per hour per client address; `0` turns the endpoint off. */
  generatePerHour: number;
  now: () => number;
}

/** POST /api/generate, GET /api/dashboard-id, DELETE /api/delete. */
const keysRoutes: FastifyPluginAsync<KeysOptions> = async (app, o) => {
  const auth = app.apilensAuth;
  const perHour = o.generatePerHour;
  app.post('/api/generate', {
    config:
      perHour > 0
        ? {
            rateLimit: {
              max: perHour,
              timeWindow: 3_600_000,
              errorResponseBuilder: (_req, c) =>
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
      return createApiKey(app.apilens.store, o.now());
    },
  });

  app.get('/api/dashboard-id', {
    config: { rateLimit: auth.rateLimit('header') },
    handler: async (request) => {
      const key = await auth.authenticate(auth.apiKey(request, 'header'));
      return { dashboard_id: key.dashboardId };
    },
  });

  app.delete('/api/delete', {
    config: { rateLimit: auth.rateLimit('header') },
    handler: async (request) => {
      const key = await auth.authenticate(auth.apiKey(request, 'header'));
      return { deleted: await app.apilens.store.deleteKey(key.id) };
    },
  });
};

export default definePlugin(keysRoutes, { name: 'apilens-keys', uses: ['apilens', 'apilensAuth'] });
