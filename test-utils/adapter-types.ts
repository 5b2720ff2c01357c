// Compile-time checks shared by the adapters' type tests (`packages/*/test/types.test.ts`),
// which `tsc --noEmit` (pnpm typecheck) verifies; at runtime they do nothing.
import type { AnalyticsControls, Config, Options } from '@apilens/core';

/** `true` when `A` and `B` are identical types, not merely assignable to each other. */
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Control = 'flush' | 'shutdown' | 'stats';

/** `'core'` when `M`'s controls are exactly the core's, `'restated'` when an adapter wrote its own. */
type ControlsOf<M> =
  Identical<Pick<M, Control & keyof M>, Pick<AnalyticsControls, Control>> extends true ? 'core' : 'restated';

/**
 * A middleware adapter's public shape: a factory `(apiKey, config?)` taking a `Config` or
 * an options object typed with the framework's `Req` and returning `M`, the framework's
 * `Handler` with the core's controls; a `Config` class typed with `Req`. An adapter of
 * another shape does not compile here, nor one whose controls differ from the core's
 * (`controls: 'core'` is then not assignable).
 */
export function expectMiddlewareAdapter<Req, Handler, M extends Handler & AnalyticsControls<Req>>(_adapter: {
  factory: (apiKey: string | undefined | null, config?: Config<Req> | Options<Req>) => M;
  Config: new () => Config<Req>;
  controls: ControlsOf<M>;
}): void {}
