// Hello-world Fastify app for `pnpm bench:overhead` (contract: bench/overhead/README.md).
import { fastifyAnalytics } from '@apilens/fastify';
import Fastify from 'fastify';

/** @param {{ instrumented: boolean, apiKey: string, serverUrl: string }} options */
export default async function start({ instrumented, apiKey, serverUrl }) {
  const app = Fastify();
  if (instrumented) await app.register(fastifyAnalytics, { apiKey, config: { serverUrl } });
  app.get('/hello/:name', async (request) => ({ hello: request.params.name }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    // onClose delivers the records still queued.
    close: () => app.close(),
  };
}
