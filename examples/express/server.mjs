// A small Express API instrumented with apilens in one line (the app.use below).
// Run `pnpm build` at the repository root once, then `pnpm start` here.
import { expressAnalytics } from '@apilens/express';
import express from 'express';

const apiKey = process.env.APILENS_API_KEY;
const serverUrl = process.env.APILENS_SERVER_URL ?? 'http://localhost:8787';
const port = Number(process.env.PORT ?? 3000);

const analytics = expressAnalytics(apiKey, {
  serverUrl,
  getUserID: (req) => req.get('x-user-id'),
  exclude: ['/health'],
});

const app = express();
app.use(analytics);

app.get('/health', (_req, res) => {
  res.send('ok');
});

app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id, name: `User ${req.params.id}` });
});

// A nested router: recorded as /api/orders and /api/orders/:orderId.
const orders = express.Router();
orders.get('/', (_req, res) => {
  res.json([{ id: 1 }, { id: 2 }]);
});
orders.get('/:orderId', (req, res) => {
  res.json({ id: Number(req.params.orderId), total: 42 });
});
app.use('/api/orders', orders);

// Recorded with status 500 and route /error.
app.get('/error', () => {
  throw new Error('something broke');
});

const server = app.listen(port, () => {
  console.log(`Express example on http://localhost:${server.address().port} — reporting to ${serverUrl}`);
  console.log('try: /users/42, /api/orders, /api/orders/7, /error, /nope');
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
