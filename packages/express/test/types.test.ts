// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { AnalyticsControls } from '@apilens/core';
import type { Request, RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Config,
  type ExpressAnalyticsMiddleware,
  type ExpressConfigInput,
  type ExpressOptions,
  expressAnalytics,
} from '../src/index.js';

describe('@apilens/express public types', () => {
  it('returns an Express middleware carrying the core controls', () => {
    expectTypeOf(expressAnalytics).returns.toEqualTypeOf<ExpressAnalyticsMiddleware>();
    expectTypeOf<ExpressAnalyticsMiddleware>().toMatchTypeOf<RequestHandler>();
    expectTypeOf<ExpressAnalyticsMiddleware>().toMatchTypeOf<AnalyticsControls<Request>>();
    expectTypeOf<ExpressAnalyticsMiddleware['flush']>().toEqualTypeOf<AnalyticsControls['flush']>();
    expectTypeOf<ExpressAnalyticsMiddleware['shutdown']>().toEqualTypeOf<AnalyticsControls['shutdown']>();
  });

  it('types Config and the options with the Express Request', () => {
    expectTypeOf(expressAnalytics).parameter(1).toEqualTypeOf<ExpressConfigInput | undefined>();
    expectTypeOf<NonNullable<ExpressOptions['getUserID']>>().parameter(0).toEqualTypeOf<Request>();
    expectTypeOf(new Config().getPath).toEqualTypeOf<((req: Request) => string) | undefined>();
    // @ts-expect-error a mapper's request is Express's, not a string
    const wrong = () => expressAnalytics('k', { getPath: (req: string) => req });
    expectTypeOf(wrong).toBeFunction();
  });
});
