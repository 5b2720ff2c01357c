// publint and @arethetypeswrong/cli on every published package, with the flags of its
// `check:pack` script, on the tarball `pnpm pack` makes of its build (one pack for all packages:
// running each script would start pnpm and pack each package twice, 2.5 times as long). Here
// rather than in .ci/run so that each package is a test the CI line counts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedPackage, packageDir, packPublished, publishedPackages } from '../../test-utils/build.js';

const run = promisify(execFile);

const published = publishedPackages();
const TMP = mkdtempSync(join(tmpdir(), 'apilens-check-pack-'));
let packed: PackedPackage[] = [];

beforeAll(async () => {
  packed = await packPublished(TMP);
}, 300_000);
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Runs a package's own copy of a tool; fails with everything it printed. */
async function tool(dir: string, bin: string, args: string[]): Promise<void> {
  try {
    await run(join(packageDir(dir), 'node_modules/.bin', bin), args, { timeout: 240_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    // attw prints its table of problems on stdout: show both streams.
    throw new Error(`${bin} failed for packages/${dir}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

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
    '%s passes publint --strict and arethetypeswrong (node16 profile)',
    async (name, dir) => {
      const { tarball } = packed.find((p) => p.name === name)!;
      await tool(dir, 'publint', ['run', tarball, '--strict']);
      await tool(dir, 'attw', [tarball, '--profile', 'node16']);
    },
    300_000,
  );
});
