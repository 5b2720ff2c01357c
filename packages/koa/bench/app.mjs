// Hello-world Koa app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { koaAnalytics } from '@apilens/koa';
import Router from '@koa/router';
import Koa from 'koa';

/** @param {{ instrumented: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ instrumented, apiKey, serverUrl }) {
  const app = new Koa();
  const analytics = instrumented ? koaAnalytics(apiKey, { serverUrl }) : undefined;
  if (analytics) app.use(analytics);
  const router = new Router();
  router.get('/hello/:name', (ctx) => {
    ctx.body = { hello: ctx.params.name };
  });
  app.use(router.routes());
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
