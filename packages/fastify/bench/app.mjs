// Hello-world Fastify app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { fastifyAnalytics } from '@apilens/fastify';
import Fastify from 'fastify';
import { apitallyConfig, apitallyShutdown, upstreamConfig } from '../../../bench/overhead/peers.mjs';

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
  if (kind === 'apitally') {
    const { apitallyPlugin } = await import('apitally/fastify');
    await app.register(apitallyPlugin, apitallyConfig(serverUrl));
    stop = apitallyShutdown;
  }
  app.get('/hello/:name', async (request) => ({ hello: request.params.name }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    async close() {
      await app.close();
      await stop();
    },
  };
}
