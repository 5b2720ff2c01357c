import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/**
 * The build every package shares: ESM (`.mjs` + `.d.mts`) and CJS (`.cjs` + `.d.ts`)
 * for Node 20, with the package version available as `__APILENS_VERSION__`.
 * tsup runs in the package folder, so `package.json` is the package's own.
 */
export function packageBuild(overrides: Options = {}) {
  const { version } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    define: { __APILENS_VERSION__: JSON.stringify(version) },
    outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
    ...overrides,
  });
}
