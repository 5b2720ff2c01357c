// The workspace's package manifests: what every published package must carry, and one version of
// each development tool everywhere (a second version of publint or a framework would test
// something other than what the rest of the workspace builds with).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test-utils/build.js';

interface Manifest {
  name: string;
  private?: boolean;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  publishConfig?: { access?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifests = ['packages', 'examples'].flatMap((dir) =>
  readdirSync(join(repoRoot, dir)).map((name) => ({
    dir: `${dir}/${name}`,
    json: JSON.parse(readFileSync(join(repoRoot, dir, name, 'package.json'), 'utf8')) as Manifest,
  })),
);
manifests.push({ dir: '.', json: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) });

describe('package manifests', () => {
  it.each(manifests.filter((m) => !m.json.private))(
    '$dir names its repository, homepage and bug tracker',
    ({ dir, json }) => {
      expect(json.repository).toMatchObject({ type: 'git', directory: dir });
      expect(json.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
      expect(json.homepage).toContain(`/${dir}`);
      expect(json.bugs?.url).toMatch(/^https:\/\/.+\/issues$/);
      expect(json.publishConfig).toEqual({ access: 'public' });
    },
  );

  it('uses one version of each development dependency across the workspace', () => {
    const versions = new Map<string, Set<string>>();
    for (const { dir, json } of manifests) {
      // A published package's runtime ranges are its users' business (kept wide on purpose);
      // what the workspace itself installs — dev dependencies, the private examples' — must agree.
      const installed = json.private
        ? { ...json.dependencies, ...json.devDependencies }
        : json.devDependencies;
      for (const [name, range] of Object.entries(installed ?? {})) {
        // Aliases of other majors (express4, koa2, …) are deliberately different.
        if (range.startsWith('npm:') || range.startsWith('workspace:')) continue;
        if (!versions.has(name)) versions.set(name, new Set());
        versions.get(name)!.add(`${range} (${dir})`);
      }
    }
    const differing = [...versions]
      .filter(([, ranges]) => new Set([...ranges].map((r) => r.split(' ')[0])).size > 1)
      .map(([name, ranges]) => `${name}: ${[...ranges].join(', ')}`);
    expect(differing).toEqual([]);
  });
});
