// Timer helpers that work on Node.js and on edge runtimes alike.

/** Lets the process exit while `timer` is pending (Node.js); a no-op where timers have no `unref`. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return timer;
}

/** Runs `fn` in a later macrotask: `setImmediate` where it exists, else a zero timeout. */
export const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/** Resolves in a later macrotask, letting the event loop run other work first. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => defer(resolve));
