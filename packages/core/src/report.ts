import { safeCall } from './safe-call.js';
import { ApilensError } from './types.js';

/** Mapper errors reach `onError` at most once per field in this window. */
export const REPORT_WINDOW_MS = 60_000;

/**
 * Routes problems to the user's `onError`, isolated (a throwing handler is ignored),
 * or to one console warning a minute per kind of problem when there is no handler.
 */
export class Reporter {
  private readonly last = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly pkg: string,
    private readonly onError: ((error: ApilensError) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reports an error. `throttleKey` rate-limits reports that can happen on every
   * request (mapper failures); without an onError handler everything is throttled
   * by error code, so a dead collector yields one warning a minute, not one a batch.
   */
  report(errorOrThunk: ApilensError | (() => ApilensError), throttleKey?: string): void {
    // Throttled reports on hot paths pass a thunk: no Error (and stack trace) is built when suppressed.
    if (throttleKey !== undefined && this.throttled(throttleKey)) return;
    const error = typeof errorOrThunk === 'function' ? errorOrThunk() : errorOrThunk;
    const key = throttleKey ?? (this.onError ? undefined : error.code);
    if (key !== undefined && throttleKey === undefined && this.throttled(key)) return;
    const skipped = key === undefined ? 0 : (this.suppressed.get(key) ?? 0);
    if (key !== undefined) this.suppressed.delete(key);
    // A broken handler must not break the host: its throw falls through to the console.
    if (this.onError && safeCall(this.onError, error, undefined, handlerThrew) !== THREW) return;
    const more =
      skipped > 0 ? ` (${skipped} similar ${skipped === 1 ? 'problem' : 'problems'} in the last minute)` : '';
    console.warn(`[${this.pkg}] ${error.message}${more}`);
  }

  /** True (and counted) when `key` was reported less than a window ago; otherwise marks it reported now. */
  private throttled(key: string): boolean {
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < REPORT_WINDOW_MS) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return true;
    }
    this.last.set(key, t);
    return false;
  }
}

const THREW = Symbol('threw');
const handlerThrew = () => THREW;

/** Wraps anything thrown into an ApilensError message fragment. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export { ApilensError };
