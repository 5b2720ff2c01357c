// A small Fastify API instrumented with apilens in one line (the register below).
// Run `pnpm build` at the repository root once, then `pnpm start` here.
import { fastifyAnalytics } from '@apilens/fastify';
import Fastify from 'fastify';

const apiKey = process.env.APILENS_API_KEY;
const serverUrl = process.env.APILENS_SERVER_URL ?? 'http://localhost:8787';
const port = Number(process.env.PORT ?? 3000);

const app = Fastify();
await app.register(fastifyAnalytics, {
  apiKey,
  config: { serverUrl, getUserID: (request) => request.headers['x-user-id'] ?? null },
});

// Opted out through the route config: never recorded.
app.get('/health', { config: { analytics: false } }, async () => 'ok');

app.get('/users/:id', async (request) => ({ id: request.params.id, name: `User ${request.params.id}` }));

// An encapsulated plugin with a prefix: recorded as /api/orders and /api/orders/:orderId.
await app.register(
  async (orders) => {
    orders.get('/', async () => [{ id: 1 }, { id: 2 }]);
    orders.get('/:orderId', async (request) => ({ id: Number(request.params.orderId), total: 42 }));
  },
  { prefix: '/api/orders' },
);

// Recorded with status 500 and route /error.
app.get('/error', async () => {
  throw new Error('something broke');
});

await app.listen({ port, host: '127.0.0.1' });
console.log(`Fastify example on http://localhost:${app.server.address().port} — reporting to ${serverUrl}`);
console.log('try: /users/42, /api/orders, /api/orders/7, /error, /nope');

// app.close() runs the plugin's onClose hook, which delivers what is queued.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    app.close().finally(() => process.exit(0));
  });
}
