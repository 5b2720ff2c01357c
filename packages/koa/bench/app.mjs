// Hello-world Koa app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { once } from 'node:events';
import { koaAnalytics } from '@apilens/koa';
import Router from '@koa/router';
import Koa from 'koa';
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
  const app = new Koa();
  let stop = async () => {};
  if (kind === 'noop') app.use((_ctx, next) => next());
  if (kind === 'apilens') {
    const analytics = koaAnalytics(apiKey, { serverUrl });
    app.use(analytics);
    stop = () => analytics.shutdown();
  }
  if (kind === 'upstream') {
    const { upstream, config } = await upstreamConfig(serverUrl);
    app.use(upstream.koaAnalytics(apiKey, config));
  }
  let toggle;
  if (kind === 'toggle') {
    // apilens behind a switch (the A/B phase): off, the wrapper is a no-op middleware.
    const analytics = koaAnalytics(apiKey, { serverUrl });
    const ab = abSwitch(analytics);
    app.use((ctx, next) => (ab.on() ? analytics(ctx, next) : next()));
    toggle = ab.toggle;
    stop = () => analytics.shutdown();
  }
  if (kind === 'apitally') {
    const { useApitally } = await import('apitally/koa');
    useApitally(app, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  const router = new Router();
  router.get('/hello/:name', (ctx) => {
    ctx.body = { hello: ctx.params.name };
  });
  app.use(router.routes());
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
