import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { definePlugin } from './define.js';

/**
 * Graceful shutdown: requests already being processed finish (a batch still commits and gets
 * its 200); new ones get a 503 to retry elsewhere or later; every response then closes its
 * connection, so keep-alive clients cannot hold the process open.
 */
const shutdownPlugin: FastifyPluginAsync = async (app) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (closing) {
      reply.header('connection', 'close');
      throw new HttpError(503, 'the collector is shutting down; retry in a few seconds', {
        'retry-after': '5',
      });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
};

export default definePlugin(shutdownPlugin, { name: 'apilens-shutdown', shared: true });
