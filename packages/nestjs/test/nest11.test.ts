// The built package against NestJS 11, on Express and Fastify. Nest 11 cannot live in this
// workspace beside Nest 12 (pnpm resolves an aliased @nestjs/core@11's peer @nestjs/common to
// the workspace's 12), so test/nest11/ is a project of its own: outside the workspace globs,
// installed with `pnpm install --ignore-workspace --frozen-lockfile` from its own lockfile
// (scripts/setup.sh does it). The built @apilens/nestjs is copied, not linked, beside the
// fixture app: a link would resolve the package's own Nest imports from packages/nestjs/
// node_modules (Nest 12), even with --preserve-symlinks.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, exec, newest, packageDir } from '../../../test-utils/build.js';
import { startCollector, type TestCollector, type WireRequest } from '../../../test-utils/collector.js';
import { between } from '../../../test-utils/helpers.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./nest11/', import.meta.url));

/** Builds @apilens/nestjs and the packages it loads if a dist is missing or older than its sources. */
const ensureCoreAndNestBuilt = () => ensureBuilt(['core', 'express', 'fastify', 'nestjs']);

/** Installs the fixture's Nest 11 from its lockfile unless that install is already there. */
async function ensureFixture(): Promise<void> {
  const installed = newest(join(fixture, 'node_modules', '.modules.yaml'));
  const wanted = Math.max(newest(join(fixture, 'package.json')), newest(join(fixture, 'pnpm-lock.yaml')));
  if (
    installed === 0 ||
    wanted > installed ||
    !existsSync(join(fixture, 'node_modules', '@nestjs', 'core'))
  ) {
    await exec('pnpm', ['install', '--frozen-lockfile', '--ignore-workspace'], fixture);
  }
}

interface PlatformRun {
  platform: 'express' | 'fastify';
  responses: Array<[method: string, path: string, status: number, body: unknown, elapsedMs: number]>;
  beforeClose: { queued: number; sent: number };
}
interface FixtureRun {
  runs: PlatformRun[];
  loaded: Record<string, string[]>;
  collector: TestCollector;
}

let runDir: string | undefined;
let collector: TestCollector | undefined;
let result: Promise<FixtureRun> | undefined;

/** Prepares everything and runs the fixture app once (both platforms); shared by the tests. */
function fixtureRun(): Promise<FixtureRun> {
  result ??= (async () => {
    await ensureCoreAndNestBuilt();
    await ensureFixture();
    // The app and a copy of the package as published (package.json + dist) in a throwaway
    // folder inside the fixture, whose node_modules (Nest 11, linked @apilens/core, express and fastify) then
    // serves every import of both.
    mkdirSync(join(fixture, '.tmp'), { recursive: true });
    runDir = mkdtempSync(join(fixture, '.tmp', 'run-'));
    const target = join(runDir, 'node_modules', '@apilens', 'nestjs');
    cpSync(join(packageDir('nestjs'), 'dist'), join(target, 'dist'), { recursive: true });
    cpSync(join(packageDir('nestjs'), 'package.json'), join(target, 'package.json'));
    cpSync(join(fixture, 'app.cjs'), join(runDir, 'app.cjs'));

    collector = await startCollector();
    const { NODE_OPTIONS: _, ...env } = process.env;
    let stdout: string;
    try {
      ({ stdout } = await run(process.execPath, [join(runDir, 'app.cjs')], {
        cwd: runDir,
        env: { ...env, APILENS_COLLECTOR_URL: collector.url },
        timeout: 60_000,
      }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`the Nest 11 fixture app failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`);
    }
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    return {
      runs: lines.filter((l): l is PlatformRun => 'platform' in l),
      loaded: lines.find((l) => 'loaded' in l)?.loaded ?? {},
      collector,
    };
  })();
  return result;
}

afterAll(async () => {
  await collector?.close();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

const byPathThenStatus = (rows: WireRequest[]) =>
  [...rows].sort((x, y) => x.path.localeCompare(y.path) || x.status - y.status);

// The first test to run builds and installs what is missing: allow for it.
const SETUP_TIMEOUT = 300_000;

describe('NestJS 11', () => {
  it(
    'runs the fixture on Nest 11 only (no Nest 12 loaded, also not by @apilens/nestjs)',
    async () => {
      const { loaded, runs } = await fixtureRun();
      expect(Object.keys(loaded).sort()).toEqual(['common', 'core', 'platform-express', 'platform-fastify']);
      for (const [name, versions] of Object.entries(loaded)) {
        expect(versions, `@nestjs/${name}`).toHaveLength(1);
        expect(versions[0], `@nestjs/${name}`).toMatch(/^11\./);
      }
      expect(runs.map((r) => r.platform)).toEqual(['express', 'fastify']);
    },
    SETUP_TIMEOUT,
  );

  describe.each(['express', 'fastify'] as const)('on %s', (platform) => {
    it(
      'answers as Nest does and records every response with its route template',
      async () => {
        const { runs, collector } = await fixtureRun();
        const ran = runs.find((r) => r.platform === platform)!;
        expect(ran.responses.map(([method, path, status]) => [method, path, status])).toEqual([
          ['GET', '/api/users/42?full=1', 200],
          ['GET', '/api/users/admin', 403],
          ['GET', '/api/users/teapot', 418],
          ['GET', '/api/users/crash', 500],
          ['POST', '/api/users', 400],
          ['POST', '/api/users', 201],
          ['GET', '/api/users/quiet', 200],
          ['GET', '/api/users/quiet-guarded', 403],
          ['GET', '/api/health', 200],
          ['GET', '/api/health/deep', 403],
          ['GET', '/api/nowhere/7', 404],
          ['GET', '/api/slow', 200],
          ['GET', '/api/users/stats', 200],
        ]);
        // AnalyticsService injected by class into a controller: the 8 records before it queued.
        expect(ran.responses.at(-1)![3]).toMatchObject({ queued: 8, sent: 0 });
        // Nothing was sent before app.close() (60 s flush interval)…
        expect(ran.beforeClose).toMatchObject({ queued: 9, sent: 0 });

        // …which delivered them all.
        const batches = collector.batches.filter((b) => b.api_key === `nest11-${platform}`);
        expect(batches.length).toBeGreaterThan(0);
        for (const b of batches) expect(b.framework).toBe('NestJS');
        const records = byPathThenStatus(batches.flatMap((b) => b.requests));
        expect(records.map((r) => [r.method, r.path, r.route, r.status])).toEqual([
          ['GET', '/api/nowhere/7', null, 404],
          ['GET', '/api/slow', '/api/slow', 200],
          ['POST', '/api/users', '/api/users', 201],
          ['POST', '/api/users', '/api/users', 400],
          ['GET', '/api/users/42', '/api/users/:id', 200],
          ['GET', '/api/users/admin', '/api/users/admin', 403],
          ['GET', '/api/users/crash', '/api/users/crash', 500],
          ['GET', '/api/users/stats', '/api/users/stats', 200],
          ['GET', '/api/users/teapot', '/api/users/teapot', 418],
        ]);
        for (const r of records) expect(r.hostname).toMatch(/^127\.0\.0\.1:\d+$/);
        // The handler sleeps 300 ms: timed on the server, within what the client waited.
        const slowWait = ran.responses.find(([, path]) => path === '/api/slow')![4];
        expect(records.find((r) => r.path === '/api/slow')!.response_time).toEqual(
          between(298, slowWait + 25),
        );
      },
      SETUP_TIMEOUT,
    );
  });
});
