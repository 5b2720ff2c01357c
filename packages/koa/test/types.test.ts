// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { AnalyticsControls } from '@apilens/core';
import type { Context, Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Config,
  type KoaAnalyticsMiddleware,
  type KoaConfigInput,
  type KoaOptions,
  koaAnalytics,
} from '../src/index.js';

describe('@apilens/koa public types', () => {
  it('returns a Koa middleware carrying the core controls', () => {
    expectTypeOf(koaAnalytics).returns.toEqualTypeOf<KoaAnalyticsMiddleware>();
    expectTypeOf<KoaAnalyticsMiddleware>().toMatchTypeOf<Middleware>();
    expectTypeOf<KoaAnalyticsMiddleware>().toMatchTypeOf<AnalyticsControls<Context>>();
    expectTypeOf<KoaAnalyticsMiddleware['flush']>().toEqualTypeOf<AnalyticsControls['flush']>();
  });

  it('types Config and the options with the Koa Context', () => {
    expectTypeOf(koaAnalytics).parameter(1).toEqualTypeOf<KoaConfigInput | undefined>();
    expectTypeOf<NonNullable<KoaOptions['getUserID']>>().parameter(0).toEqualTypeOf<Context>();
    expectTypeOf(new Config().getHostname).toEqualTypeOf<
      ((ctx: Context) => string | null | undefined) | undefined
    >();
    // @ts-expect-error privacy levels are 0, 1 and 2
    const wrong = () => koaAnalytics('k', { privacyLevel: 3 });
    expectTypeOf(wrong).toBeFunction();
  });
});
