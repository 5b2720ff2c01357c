import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { definePlugin } from './define.js';

/** Options of the shutdown plugin. */
export interface ShutdownOptions {
  /** Time in-flight requests have to finish before every connection still open is closed. */
  timeoutMs: number;
}

/**
 * Graceful shutdown: requests already being processed finish (a batch still commits and gets
 * its 200); new ones get a 503 to retry elsewhere or later; every response then closes its
 * connection, so keep-alive clients cannot hold the process open. Idle connections close at once
 * (Fastify's default); after `timeoutMs` every connection still open is closed too: a client that
 * sent half a request, or reads an export slowly, cannot keep the process from exiting.
 */
const shutdownPlugin: FastifyPluginAsync<ShutdownOptions> = async (app, o) => {
  let closing = false;
  let deadline: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    deadline = setTimeout(() => {
      app.log.warn(`connections still open ${o.timeoutMs} ms after close: closing them`);
      app.server.closeAllConnections();
    }, o.timeoutMs);
    deadline.unref();
  });
  app.addHook('onClose', async () => {
    clearTimeout(deadline);
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
