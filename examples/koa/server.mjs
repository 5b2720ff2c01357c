// A small Koa API instrumented with apilens in one line (the first app.use below).
// Run `pnpm build` at the repository root once, then `pnpm start` here.
import { koaAnalytics } from '@apilens/koa';
import Router from '@koa/router';
import Koa from 'koa';

const apiKey = process.env.APILENS_API_KEY;
const serverUrl = process.env.APILENS_SERVER_URL ?? 'http://localhost:8787';
const port = Number(process.env.PORT ?? 3000);

const analytics = koaAnalytics(apiKey, {
  serverUrl,
  getUserID: (ctx) => ctx.get('x-user-id') || undefined,
  exclude: ['/health'],
});

const app = new Koa();
app.use(analytics);

const router = new Router();
router.get('/health', (ctx) => {
  ctx.body = 'ok';
});
router.get('/users/:id', (ctx) => {
  ctx.body = { id: ctx.params.id, name: `User ${ctx.params.id}` };
});
// Recorded with status 500 and route /error.
router.get('/error', () => {
  throw new Error('something broke');
});
// ctx.throw: recorded with status 403.
router.get('/admin', (ctx) => {
  ctx.throw(403, 'admins only');
});

// A nested router with a prefix: recorded as /api/orders and /api/orders/:orderId.
const api = new Router({ prefix: '/api' });
const orders = new Router();
orders.get('/', (ctx) => {
  ctx.body = [{ id: 1 }, { id: 2 }];
});
orders.get('/:orderId', (ctx) => {
  ctx.body = { id: Number(ctx.params.orderId), total: 42 };
});
api.use('/orders', orders.routes());

app.use(router.routes()).use(router.allowedMethods());
app.use(api.routes()).use(api.allowedMethods());

const server = app.listen(port, () => {
  console.log(`Koa example on http://localhost:${server.address().port} — reporting to ${serverUrl}`);
  console.log('try: /users/42, /api/orders, /api/orders/7, /error, /admin, /nope');
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
