import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from './define.js';

/**
 * Headers on every response: `X-Content-Type-Options: nosniff`, so that no browser reads stored
 * strings in a response (a CSV export, an error quoting a value) as HTML or script; and
 * `Cache-Control: no-store` on the API, whose answers carry one key's data and must not be kept
 * by a browser or a shared proxy.
 */
const securityHeaders: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
};

export default definePlugin(securityHeaders, { name: 'apilens-security-headers', shared: true });
