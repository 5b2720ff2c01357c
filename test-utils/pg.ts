// PostgreSQL for tests: the run's throwaway cluster is started by global-setup.ts.
// No dependency on the `pg` driver here: packages create their own databases with it.
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL server URL for tests ('' when it could not start; see pgError). */
    pgUrl: string;
    /** Why PostgreSQL is unavailable, for the failing PostgreSQL suites. */
    pgError: string;
  }
}

/** URL of the run's PostgreSQL server; throws (failing the suite, never skipping it) when it is missing. */
export function pgServerUrl(): string {
  const url = inject('pgUrl');
  if (!url) {
    throw new Error(
      `PostgreSQL is not available for the tests: ${inject('pgError') || 'no URL was provided'}. ` +
        'Run `sh scripts/pg.sh start` to see why, or set APILENS_TEST_DATABASE_URL.',
    );
  }
  return url;
}
