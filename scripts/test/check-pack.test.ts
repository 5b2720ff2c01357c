// publint and @arethetypeswrong/cli on every published package, as its `check:pack` script runs
// them: on what `pnpm pack` puts in the tarball, after the build. Here rather than in .ci/run so
// that each package is a test the CI line counts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir, publishedPackages } from '../../test-utils/build.js';

const run = promisify(execFile);

const published = publishedPackages();

describe('packed packages', () => {
  it('every published package has a check:pack script running publint --strict and attw', () => {
    expect(published.length).toBeGreaterThanOrEqual(7);
    for (const { manifest } of published) {
      expect(manifest.scripts?.['check:pack'], manifest.name).toBe(
        'publint --strict && attw --pack --profile node16',
      );
    }
  });

  it.each(published.map(({ dir, manifest }) => [manifest.name, dir]))(
    '%s passes publint and arethetypeswrong',
    async (_name, dir) => {
      await ensureBuilt([dir]);
      try {
        await run('pnpm', ['run', '--silent', 'check:pack'], { cwd: packageDir(dir), timeout: 240_000 });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        // attw prints its table of problems on stdout, pnpm its exit status on stderr: show both.
        throw new Error(`check:pack failed in packages/${dir}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
      }
    },
    300_000,
  );
});
