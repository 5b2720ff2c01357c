// Hello-world Hono app on @hono/node-server for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { honoAnalytics } from '@apilens/hono';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { abSwitch, apitallyConfig, apitallyShutdown } from '../../../bench/overhead/peers.mjs';

/** What this app can be measured with: node-api-analytics has no Hono middleware. */
export const variants = ['bare', 'noop', 'apilens', 'apitally'];

/** @param {{ variant?: string, instrumented?: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ variant, instrumented, apiKey, serverUrl }) {
  const kind = variant ?? (instrumented ? 'apilens' : 'bare');
  const app = new Hono();
  let stop = async () => {};
  if (kind === 'noop') {
    app.use('*', async (_c, next) => {
      await next();
    });
  }
  if (kind === 'apilens') {
    const analytics = honoAnalytics(apiKey, { serverUrl });
    app.use('*', analytics);
    stop = () => analytics.shutdown();
  }
  let toggle;
  if (kind === 'toggle') {
    // apilens behind a switch (the A/B phase): off, the no-op middleware of the floor. The switch
    // itself is not async: an async wrapper would put a second async frame around apilens's own
    // (one more promise and await per request than a user pays) and charge it to apilens.
    const analytics = honoAnalytics(apiKey, { serverUrl });
    const ab = abSwitch(analytics);
    const noop = async (_c, next) => {
      await next();
    };
    app.use('*', (c, next) => (ab.on() ? analytics(c, next) : noop(c, next)));
    toggle = ab.toggle;
    stop = () => analytics.shutdown();
  }
  if (kind === 'apitally') {
    const { useApitally } = await import('apitally/hono');
    useApitally(app, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  app.get('/hello/:name', (c) => c.json({ hello: c.req.param('name') }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await once(server, 'listening');
  return {
    port: server.address().port,
    toggle,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await stop();
    },
  };
}
