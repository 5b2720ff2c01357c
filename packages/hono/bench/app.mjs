// Hello-world Hono app on @hono/node-server for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { honoAnalytics } from '@apilens/hono';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/** @param {{ instrumented: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ instrumented, apiKey, serverUrl }) {
  const app = new Hono();
  const analytics = instrumented ? honoAnalytics(apiKey, { serverUrl }) : undefined;
  if (analytics) app.use('*', analytics);
  app.get('/hello/:name', (c) => c.json({ hello: c.req.param('name') }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await once(server, 'listening');
  return {
    port: server.address().port,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await analytics?.shutdown();
    },
  };
}
