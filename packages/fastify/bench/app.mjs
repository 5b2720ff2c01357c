// Hello-world Fastify app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { Analytics } from '@apilens/core';
import { fastifyAnalytics } from '@apilens/fastify';
import { recordingHook } from '@apilens/fastify/internal';
import Fastify from 'fastify';
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
  const app = Fastify();
  let stop = async () => {};
  // The same kind of hook apilens uses: one root onResponse hook.
  if (kind === 'noop') app.addHook('onResponse', (_request, _reply, done) => done());
  // onClose delivers the records still queued.
  if (kind === 'apilens') await app.register(fastifyAnalytics, { apiKey, config: { serverUrl } });
  if (kind === 'upstream') {
    const { upstream, config } = await upstreamConfig(serverUrl);
    upstream.useFastifyAnalytics(app, apiKey, config);
  }
  let toggle;
  if (kind === 'toggle') {
    // apilens behind a switch (the A/B phase): the plugin's own onResponse hook, called from a
    // root hook that is a no-op when off. (The plugin adds its hook itself, so it is built here
    // from the same parts: the client and the recording hook.)
    const analytics = new Analytics(
      apiKey,
      { framework: 'Fastify', packageName: '@apilens/fastify' },
      { serverUrl },
    );
    const hook = recordingHook(analytics);
    const ab = abSwitch(analytics);
    app.addHook('onResponse', (request, reply, done) => (ab.on() ? hook(request, reply, done) : done()));
    toggle = ab.toggle;
    stop = () => analytics.shutdown();
  }
  if (kind === 'apitally') {
    const { apitallyPlugin } = await import('apitally/fastify');
    await app.register(apitallyPlugin, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  app.get('/hello/:name', async (request) => ({ hello: request.params.name }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    toggle,
    async close() {
      await app.close();
      await stop();
    },
  };
}
