// A small Hono API on Node.js instrumented with apilens in one line (the app.use below).
// Run `pnpm build` at the repository root once, then `pnpm start` here.
import { honoAnalytics } from '@apilens/hono';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamText } from 'hono/streaming';

const apiKey = process.env.APILENS_API_KEY;
const serverUrl = process.env.APILENS_SERVER_URL ?? 'http://localhost:8787';
const port = Number(process.env.PORT ?? 3000);

const analytics = honoAnalytics(apiKey, {
  serverUrl,
  getUserID: (c) => c.req.header('x-user-id'),
  exclude: ['/health'],
});

const app = new Hono();
app.use('*', analytics);

app.get('/health', (c) => c.text('ok'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), name: `User ${c.req.param('id')}` }));

// Recorded with status 500 (Hono's onError) and route /error.
app.get('/error', () => {
  throw new Error('something broke');
});
// Recorded with status 403.
app.get('/admin', () => {
  throw new HTTPException(403, { message: 'admins only' });
});
// A streamed response, timed until its last chunk (~1 s).
app.get('/countdown', (c) =>
  streamText(c, async (stream) => {
    for (let i = 5; i > 0; i--) {
      await stream.writeln(String(i));
      await stream.sleep(200);
    }
  }),
);

// A sub-app: recorded as /api/orders and /api/orders/:orderId.
const orders = new Hono();
orders.get('/', (c) => c.json([{ id: 1 }, { id: 2 }]));
orders.get('/:orderId', (c) => c.json({ id: Number(c.req.param('orderId')), total: 42 }));
app.route('/api/orders', orders);

const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`Hono example on http://localhost:${info.port} — reporting to ${serverUrl}`);
  console.log('try: /users/42, /api/orders, /api/orders/7, /error, /admin, /countdown, /nope');
});

// Deliver what is queued before the container stops.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    analytics
      .shutdown(5_000)
      // `false`: some records could not be delivered in time (the collector is down or slow).
      .then((delivered) => delivered || console.error('apilens: some records were not delivered'))
      .finally(() => process.exit(0));
  });
}
