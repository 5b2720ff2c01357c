import type { FastifyInstance } from 'fastify';
import { SERVER_VERSION } from '../version.js';
import type { AppContext } from './context.js';

/** GET /api/health: 200 when the store answers, 503 when it does not. */
export function registerHealth(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/health', async (_request, reply) => {
    const store = ctx.store;
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
}
