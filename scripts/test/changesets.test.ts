// Releases: changesets with independent versions and a changelog per package (CONTRIBUTING.md).
// The pending changesets must name real packages; `changeset version`, run on a copy of the
// workspace's manifests, must bump each package on its own.
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, readManifest, repoRoot } from '../../test-utils/build.js';

const run = promisify(execFile);

const manifestDirs = ['packages', 'examples'].flatMap((dir) =>
  readdirSync(join(repoRoot, dir)).map((name) => `${dir}/${name}`),
);
const published = new Map(
  publishedPackages().map(({ dir, manifest }) => [manifest.name, { dir: `packages/${dir}`, manifest }]),
);

/** Frontmatter of a changeset: package name → bump. */
function bumps(text: string): Map<string, string> {
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '';
  return new Map(
    front
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        // YAML keys in double or single quotes, or none (changesets reads the frontmatter as YAML).
        const m = /^(?:"([^"]+)"|'([^']+)'|([^\s:'"]+)):\s*(\w+)$/.exec(line.trim());
        return m ? [(m[1] ?? m[2] ?? m[3])!, m[4]!] : [line, 'unparsed'];
      }),
  );
}

/** A semver bump of `x.y.z`, written out here rather than taken from changesets. */
function bump(version: string, kind: 'major' | 'minor' | 'patch'): string {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  if (kind === 'major') return `${major + 1}.0.0`;
  if (kind === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

const tmp = mkdtempSync(join(tmpdir(), 'apilens-changesets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('changesets', () => {
  it('config: independent versions, a changelog, public access, main as base', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, '.changeset/config.json'), 'utf8'));
    expect(config).toMatchObject({
      changelog: '@changesets/cli/changelog',
      fixed: [],
      linked: [],
      access: 'public',
      baseBranch: 'main',
      commit: false,
    });
    const scripts = readManifest(join(repoRoot, 'package.json')).scripts ?? {};
    expect(scripts.release).toBe('pnpm build && changeset publish');
    expect(scripts['version-packages']).toBe('changeset version');
  });

  it('every pending changeset names published packages with a bump and says what changed', () => {
    const files = readdirSync(join(repoRoot, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(join(repoRoot, '.changeset', file), 'utf8');
      const named = bumps(text);
      expect(named.size, file).toBeGreaterThan(0);
      for (const [name, kind] of named) {
        expect(published.has(name), `${file}: ${name} is not a published package`).toBe(true);
        expect(['major', 'minor', 'patch'], `${file}: ${name}`).toContain(kind);
      }
      expect(text.replace(/^---\n[\s\S]*?\n---\n/, '').trim(), file).not.toBe('');
    }
  });

  it('changeset version bumps each package on its own and writes its changelog', async () => {
    // The workspace's manifests and config, with two changesets of our own instead of the pending ones.
    cpSync(join(repoRoot, 'package.json'), join(tmp, 'package.json'));
    cpSync(join(repoRoot, 'pnpm-workspace.yaml'), join(tmp, 'pnpm-workspace.yaml'));
    mkdirSync(join(tmp, '.changeset'));
    cpSync(join(repoRoot, '.changeset/config.json'), join(tmp, '.changeset/config.json'));
    for (const dir of manifestDirs) {
      mkdirSync(join(tmp, dir), { recursive: true });
      cpSync(join(repoRoot, dir, 'package.json'), join(tmp, dir, 'package.json'));
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(tmp, 'node_modules'));
    writeFileSync(
      join(tmp, '.changeset/core-feature.md'),
      '---\n"@apilens/core": minor\n---\n\nA core feature.\n',
    );
    writeFileSync(join(tmp, '.changeset/koa-fix.md'), '---\n"@apilens/koa": patch\n---\n\nA Koa fix.\n');

    await run(process.execPath, [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version'], {
      cwd: tmp,
      timeout: 60_000,
    });

    const core = published.get('@apilens/core')!.manifest;
    // Who must follow core: the published packages that depend on it at run time (a dev
    // dependency does not make a package's users need a new version).
    const dependents = [...published.values()]
      .filter(({ manifest }) => {
        const runtime = { ...manifest.dependencies, ...manifest.peerDependencies };
        return manifest.name !== core.name && core.name in runtime;
      })
      .map(({ manifest }) => manifest.name);
    expect(dependents).toEqual(expect.arrayContaining(['@apilens/express', '@apilens/hono', '@apilens/koa']));
    for (const [name, { dir, manifest }] of published) {
      const after = readManifest(join(tmp, dir, 'package.json'));
      const expected =
        name === core.name
          ? bump(manifest.version, 'minor')
          : dependents.includes(name)
            ? bump(manifest.version, 'patch')
            : manifest.version;
      expect(after.version, name).toBe(expected);
      expect(existsSync(join(tmp, dir, 'CHANGELOG.md')), `${name} changelog`).toBe(
        expected !== manifest.version,
      );
    }
    const coreLog = readFileSync(join(tmp, published.get(core.name)!.dir, 'CHANGELOG.md'), 'utf8');
    expect(coreLog).toContain(`## ${bump(core.version, 'minor')}`);
    expect(coreLog).toContain('A core feature.');
    const koaLog = readFileSync(join(tmp, published.get('@apilens/koa')!.dir, 'CHANGELOG.md'), 'utf8');
    expect(koaLog).toContain('A Koa fix.');
    expect(readdirSync(join(tmp, '.changeset')).filter((f) => f.endsWith('.md'))).toEqual([]);
  }, 90_000);
});
