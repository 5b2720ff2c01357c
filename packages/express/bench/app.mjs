// Hello-world Express app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { expressAnalytics } from '@apilens/express';
import express from 'express';

/** @param {{ instrumented: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ instrumented, apiKey, serverUrl }) {
  const app = express();
  const analytics = instrumented ? expressAnalytics(apiKey, { serverUrl }) : undefined;
  if (analytics) app.use(analytics);
  app.get('/hello/:name', (req, res) => {
    res.json({ hello: req.params.name });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
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
