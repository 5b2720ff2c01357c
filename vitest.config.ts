import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of every workspace package, so a
    // change is tested without a rebuild; the packed builds are checked by publint/attw.
    alias: [
      { find: /^@apilens\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      // Internal entries (`@apilens/core/internal`, …): `src/internal.ts` of the package.
      { find: /^@apilens\/([a-z-]+)\/internal$/, replacement: `${root}packages/$1/src/internal.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    globalSetup: ['./test-utils/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: loopback servers and load generators in the same test must not starve each other.
    maxWorkers: 2,
  },
});
