// Hello-world Express app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { expressAnalytics } from '@apilens/express';
import express from 'express';
import {
  abSwitch,
  apitallyConfig,
  apitallyShutdown,
  upstreamConfig,
} from '../../../bench/overhead/peers.mjs';

/** What this app can be measured with (bench/overhead/README.md). */
export const variants = ['bare', 'noop', 'apilens', 'upstream', 'apitally'];

/** @param {{ variant?: string, instrumented?: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ variant, instrumented, apiKey, serverUrl }) {
  const kind = variant ?? (instrumented ? 'apilens' : 'bare');
  const app = express();
  let stop = async () => {};
  if (kind === 'noop') app.use((_req, _res, next) => next());
  if (kind === 'apilens') {
    const analytics = expressAnalytics(apiKey, { serverUrl });
    app.use(analytics);
    stop = () => analytics.shutdown();
  }
  if (kind === 'upstream') {
    const { upstream, config } = await upstreamConfig(serverUrl);
    app.use(upstream.expressAnalytics(apiKey, config));
  }
  let toggle;
  if (kind === 'toggle') {
    // apilens behind a switch (the A/B phase): off, the wrapper is a no-op middleware.
    const analytics = expressAnalytics(apiKey, { serverUrl });
    const ab = abSwitch(analytics);
    app.use((req, res, next) => (ab.on() ? analytics(req, res, next) : next()));
    toggle = ab.toggle;
    stop = () => analytics.shutdown();
  }
  if (kind === 'apitally') {
    const { useApitally } = await import('apitally/express');
    useApitally(app, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  app.get('/hello/:name', (req, res) => {
    res.json({ hello: req.params.name });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
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
