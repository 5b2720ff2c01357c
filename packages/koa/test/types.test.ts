// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { Context, Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import { expectMiddlewareAdapter } from '../../../test-utils/adapter-types.js';
import {
  Config,
  type KoaAnalyticsMiddleware,
  type KoaConfigInput,
  type KoaOptions,
  koaAnalytics,
} from '../src/index.js';

describe('@apilens/koa public types', () => {
  it('has the adapter shape: koaAnalytics() and Config typed with the Koa Context, the core controls', () => {
    expectMiddlewareAdapter<Context, Middleware, KoaAnalyticsMiddleware>({
      factory: koaAnalytics,
      Config,
      controls: 'core',
    });
    expectTypeOf(koaAnalytics).parameter(1).toEqualTypeOf<KoaConfigInput | undefined>();
    expectTypeOf<NonNullable<KoaOptions['getUserID']>>().parameter(0).toEqualTypeOf<Context>();
    // @ts-expect-error privacy levels are 0, 1 and 2
    const wrong = () => koaAnalytics('k', { privacyLevel: 3 });
    expectTypeOf(wrong).toBeFunction();
  });
});
