import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import { SERVER_VERSION } from '../version.js';

/** GET /api/health: 200 when the store answers, 503 when it does not. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/health', async (_request, reply) => {
    const store = app.apilens.store;
    try {
      await store.ping();
      return {
        status: 'ok',
        store: store.kind,
        schema_version: await store.schemaVersion(),
        version: SERVER_VERSION,
      };
    } catch (err) {
      return reply.code(503).send({
        status: 'unavailable',
        store: store.kind,
        error: `the ${store.kind} store does not answer: ${(err as Error).message}`,
        version: SERVER_VERSION,
      });
    }
  });
};

export default definePlugin(healthRoutes, { name: 'apilens-health', uses: ['apilens'] });
