// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import { expectMiddlewareAdapter } from '../../../test-utils/adapter-types.js';
import {
  Config,
  type HonoAnalyticsMiddleware,
  type HonoConfigInput,
  type HonoOptions,
  honoAnalytics,
} from '../src/index.js';

describe('@apilens/hono public types', () => {
  it('has the adapter shape: honoAnalytics() and Config typed with the Hono Context, the core controls', () => {
    expectMiddlewareAdapter<Context, MiddlewareHandler, HonoAnalyticsMiddleware>({
      factory: honoAnalytics,
      Config,
      controls: 'core',
    });
    expectTypeOf(honoAnalytics).parameter(1).toEqualTypeOf<HonoConfigInput | undefined>();
    expectTypeOf<NonNullable<HonoOptions['getUserID']>>().parameter(0).toEqualTypeOf<Context>();
    // @ts-expect-error compression is 'gzip' or 'none'
    const wrong = () => honoAnalytics('k', { compression: 'br' });
    expectTypeOf(wrong).toBeFunction();
  });

  it('the Cloudflare Workers snippet of the README compiles: bindings typed, middleware made in the first request', () => {
    type Env = { APILENS_API_KEY: string; APILENS_SERVER_URL: string };
    const app = new Hono<{ Bindings: Env }>();
    let analytics: HonoAnalyticsMiddleware | undefined;
    app.use('*', (c, next) => {
      analytics ??= honoAnalytics(c.env.APILENS_API_KEY, { serverUrl: c.env.APILENS_SERVER_URL });
      return analytics(c, next);
    });
    expectTypeOf(app.fetch).toBeFunction();
  });
});
