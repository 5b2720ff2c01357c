// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { Request, RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { expectMiddlewareAdapter } from '../../../test-utils/adapter-types.js';
import {
  Config,
  type ExpressAnalyticsMiddleware,
  type ExpressConfigInput,
  type ExpressOptions,
  expressAnalytics,
} from '../src/index.js';

describe('@apilens/express public types', () => {
  it('has the adapter shape: expressAnalytics() and Config typed with the Express Request, the core controls', () => {
    expectMiddlewareAdapter<Request, RequestHandler, ExpressAnalyticsMiddleware>({
      factory: expressAnalytics,
      Config,
      controls: 'core',
    });
    expectTypeOf(expressAnalytics).parameter(1).toEqualTypeOf<ExpressConfigInput | undefined>();
    expectTypeOf<NonNullable<ExpressOptions['getUserID']>>().parameter(0).toEqualTypeOf<Request>();
    // @ts-expect-error a mapper's request is Express's, not a string
    const wrong = () => expressAnalytics('k', { getPath: (req: string) => req });
    expectTypeOf(wrong).toBeFunction();
  });
});
