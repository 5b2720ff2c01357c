/**
 * Calls one of the user's functions (a mapper, the `exclude` predicate, `onError`)
 * so that nothing it throws reaches the host: a throw is handed to `onThrow`, with
 * the same arguments, and what `onThrow` returns is returned instead. Every user
 * callback goes through here; `onThrow` is made once per callback, not per call.
 *
 * @example
 * const path = safeCall(config.getPath, req, undefined, (err, req) => fallbackPath(req));
 */
export function safeCall<A, B, R, F>(
  fn: (a: A, b: B) => R,
  a: A,
  b: B,
  onThrow: (error: unknown, a: A, b: B) => F,
): R | F {
  try {
    return fn(a, b);
  } catch (error) {
    return onThrow(error, a, b);
  }
}
