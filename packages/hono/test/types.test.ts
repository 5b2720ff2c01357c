// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { AnalyticsControls } from '@apilens/core';
import type { Context, MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Config,
  type HonoAnalyticsMiddleware,
  type HonoConfigInput,
  type HonoOptions,
  honoAnalytics,
} from '../src/index.js';

describe('@apilens/hono public types', () => {
  it('returns a Hono middleware carrying the core controls', () => {
    expectTypeOf(honoAnalytics).returns.toEqualTypeOf<HonoAnalyticsMiddleware>();
    expectTypeOf<HonoAnalyticsMiddleware>().toMatchTypeOf<MiddlewareHandler>();
    expectTypeOf<HonoAnalyticsMiddleware>().toMatchTypeOf<AnalyticsControls<Context>>();
    expectTypeOf<HonoAnalyticsMiddleware['flush']>().toEqualTypeOf<AnalyticsControls['flush']>();
  });

  it('types Config and the options with the Hono Context', () => {
    expectTypeOf(honoAnalytics).parameter(1).toEqualTypeOf<HonoConfigInput | undefined>();
    expectTypeOf<NonNullable<HonoOptions['getUserID']>>().parameter(0).toEqualTypeOf<Context>();
    expectTypeOf(new Config().exclude).toEqualTypeOf<
      ReadonlyArray<string | RegExp> | ((path: string, c: Context) => boolean) | undefined
    >();
    // @ts-expect-error compression is 'gzip' or 'none'
    const wrong = () => honoAnalytics('k', { compression: 'br' });
    expectTypeOf(wrong).toBeFunction();
  });
});
