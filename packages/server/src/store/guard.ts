import { storeFailure } from '../errors.js';
import { type Store, UnknownKeyError } from '../types.js';

const failed = (err: unknown): never => {
  throw err instanceof UnknownKeyError ? err : storeFailure(err);
};

/**
 * The store as the routes use it: every method's failure is marked as the store's, so the error
 * handler answers 503 ("could not reach its database") wherever a route lets it propagate; no
 * call site wraps its own. {@link UnknownKeyError} (a key deleted meanwhile) is the client's and
 * passes unmarked. A proxy rather than a list of methods, so a method a store adds later (the
 * dashboard's queries) is guarded too.
 *
 * @example
 * const store = guardStore(openDuckDbStore('./apilens.duckdb'));
 */
export function guardStore<S extends Store>(store: S): S {
  const wrapped = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value = (target as Record<PropertyKey, unknown>)[property];
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      let guarded = wrapped.get(method);
      if (!guarded) {
        guarded = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = method.apply(target, args);
          } catch (err) {
            failed(err);
          }
          return result instanceof Promise ? result.catch(failed) : result;
        };
        wrapped.set(method, guarded);
      }
      return guarded;
    },
  });
}
