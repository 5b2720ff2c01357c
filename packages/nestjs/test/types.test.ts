// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import type { AnalyticsControls } from '@apilens/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  AnalyticsModule,
  type AnalyticsModuleAsyncOptions,
  type AnalyticsModuleRootOptions,
  AnalyticsService,
  Config,
  type NestConfigInput,
} from '../src/index.js';

describe('@apilens/nestjs public types', () => {
  it('gives AnalyticsService the core controls', () => {
    expectTypeOf<AnalyticsService>().toMatchTypeOf<AnalyticsControls>();
    expectTypeOf<AnalyticsService['flush']>().toEqualTypeOf<AnalyticsControls['flush']>();
    expectTypeOf<AnalyticsService['shutdown']>().toEqualTypeOf<AnalyticsControls['shutdown']>();
    expectTypeOf<AnalyticsService['stats']>().toEqualTypeOf<AnalyticsControls['stats']>();
    expectTypeOf(AnalyticsService.prototype.onApplicationShutdown).returns.resolves.toBeVoid();
  });

  it('types the module options: routes, the deprecated global, config per request type', () => {
    expectTypeOf<AnalyticsModuleRootOptions['routes']>().toEqualTypeOf<'all' | 'marked' | undefined>();
    expectTypeOf<AnalyticsModuleAsyncOptions['routes']>().toEqualTypeOf<'all' | 'marked' | undefined>();
    expectTypeOf<AnalyticsModuleRootOptions['global']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<AnalyticsModuleRootOptions<{ user: string }>['config']>().toEqualTypeOf<
      NestConfigInput<{ user: string }> | undefined
    >();
    expectTypeOf(new Config<{ user: string }>().getUserID).toEqualTypeOf<
      ((req: { user: string }) => string | number | null | undefined) | undefined
    >();
    // @ts-expect-error routes is 'all' or 'marked'
    const wrong = () => AnalyticsModule.forRoot({ routes: 'some' });
    expectTypeOf(wrong).toBeFunction();
  });
});
