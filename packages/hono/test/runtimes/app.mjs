// The Hono app the runtime tests serve on Bun, Deno and workerd, as a user would write it with
// the published builds: `@apilens/hono` and `@apilens/core` resolve to their dist through the
// package exports, with the runtime's own conditions (`bun`, `deno`, `workerd`).
import { runtime } from '@apilens/core/internal';
import { honoAnalytics } from '@apilens/hono';
import { Hono } from 'hono';
import { streamText } from 'hono/streaming';

/**
 * The app. `analytics` is the middleware, made once (on workerd inside the first request,
 * where the environment is); `stop` is what `POST /stop` does after answering.
 */
export function createApp(analytics, stop = () => {}) {
  const app = new Hono();
  app.use('*', (c, next) => analytics(c)(c, next));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  app.get('/stream', (c) =>
    streamText(c, async (stream) => {
      for (let i = 0; i < 3; i++) {
        await stream.writeln(String(i));
        await stream.sleep(10);
      }
    }),
  );
  app.get('/build', (c) => c.text(runtime.build));
  app.post('/stop', (c) => {
    setTimeout(stop, 10);
    return c.text('stopping');
  });
  return app;
}

/**
 * Bun and Deno: key and collector from the environment (APILENS_API_KEY, APILENS_SERVER_URL),
 * batches of 3 and a long interval, so that the first three records go out because the batch
 * is full and the last two when the process runs out of work (beforeExit).
 */
export function serverAnalytics() {
  const middleware = honoAnalytics(process.env.APILENS_API_KEY, {
    flushIntervalMs: 3_600_000,
    maxBatchSize: 3,
    exclude: ['/build', '/stop'],
    onError: (err) => console.error(`apilens: ${err.message}`),
  });
  return () => middleware;
}
