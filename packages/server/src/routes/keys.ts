import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HttpError, preview } from '../errors.js';
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

/**
 * Whether a request comes from the collector's own pages or from no browser page at all: any web
 * page can make its visitors' browsers POST to the collector (a form needs no CORS), and would
 * then mint keys from their addresses. Browsers send `Origin` with every cross-origin POST;
 * `curl` and SDKs send none.
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    // "null" (a sandboxed frame, a file: page) or garbage.
    return false;
  }
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
    onRequest: async (request) => {
      if (!sameOrigin(request)) {
        throw new HttpError(
          403,
          `POST /api/generate from the web page at ${preview(request.headers.origin)} refused: keys are created from the collector's own pages, curl or \`apilens keys create\``,
        );
      }
    },
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
    handler: async (request) => {
      const key = await auth.authenticate(request, auth.apiKey(request, 'header'), 'keys');
      return { dashboard_id: key.dashboardId };
    },
  });

  app.delete('/api/delete', {
    handler: async (request) => {
      const key = await auth.authenticate(request, auth.apiKey(request, 'header'), 'keys');
      return { deleted: await app.apilens.store.deleteKey(key.id) };
    },
  });
};

export default definePlugin(keysRoutes, { name: 'apilens-keys', uses: ['apilens', 'apilensAuth'] });
