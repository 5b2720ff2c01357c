// Bundled with esbuild for workerd by runtimes.test.ts and run in miniflare: a Worker's module
// default export. Key and collector come from the bindings, so the middleware is made in the
// first request; nothing sends on a timer (1 h interval): each request's records must go out
// with the delivery the middleware hands to executionCtx.waitUntil.
import { honoAnalytics } from '@apilens/hono';
import { createApp } from './app.mjs';

let middleware;
export default createApp(
  (c) =>
    (middleware ??= honoAnalytics(c.env.APILENS_API_KEY, {
      serverUrl: c.env.APILENS_SERVER_URL,
      flushIntervalMs: 3_600_000,
      exclude: ['/build', '/stop'],
      onError: (err) => console.error(`apilens: ${err.message}`),
    })),
);
