// Type tests: checked by `tsc --noEmit` (pnpm typecheck / pnpm lint). A wrong public type is a
// compile error here.
import { describe, expectTypeOf, it } from 'vitest';
import type { ApilensErrorCode, Options } from '../src/index.js';
import type { OPTION_NAMES } from '../src/internal.js';

describe('@apilens/core public types', () => {
  it('lists every option of Options at runtime, and nothing else', () => {
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<keyof Options>();
  });

  it('has the error codes the README lists', () => {
    expectTypeOf<ApilensErrorCode>().toEqualTypeOf<
      'network' | 'http' | 'rejected' | 'dropped' | 'mapper' | 'exclude' | 'encode' | 'internal'
    >();
  });
});
