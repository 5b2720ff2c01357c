// The Hono adapter on every runtime Hono runs on, for real: the app in runtimes/app.mjs served by
// Bun (Bun.serve), Deno (Deno.serve) and Cloudflare's workerd (bundled with esbuild the way
// wrangler does, run by miniflare), with the published builds of @apilens/hono and
// @apilens/core, reporting to a real collector (`apilens serve`) whose data API the rows are
// read back from. The binaries come with the bun, deno and miniflare (workerd) npm packages.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataRow, type RunningServer, startApilensServer } from '../../../test-utils/apilens-server.js';
import { ensureBuilt, packageDir, repoRoot } from '../../../test-utils/build.js';
import { type SpawnedApp, spawnApp, watch } from '../../../test-utils/spawn-app.js';

const FIXTURES = join(packageDir('hono'), 'test/runtimes');
const resolveRoot = createRequire(join(repoRoot, 'package.json')).resolve;
const BUN = join(dirname(resolveRoot('bun/package.json')), 'bin/bun.exe');
const DENO = join(dirname(resolveRoot('deno/package.json')), 'deno');

// The requests sent to the app in runtimes/app.mjs and what each must be stored as, written out
// here: the expectation must not come from the code under test.
const SENT = ['/users/1', '/users/2', '/missing', '/stream', '/users/3'];
const EXPECTED: Array<[path: string, route: string | null, status: number]> = [
  ['/users/1', '/users/:id', 200],
  ['/users/2', '/users/:id', 200],
  ['/missing', null, 404],
  ['/stream', '/stream', 200],
  ['/users/3', '/users/:id', 200],
];

/** `[path, route, status]` of stored rows, in the order the requests were sent. */
function table(rows: DataRow[]): Array<[string, string | null, number]> {
  return rows
    .map((r): [string, string | null, number] => [r.path, r.route, r.status])
    .sort((a, b) => SENT.indexOf(a[0]) - SENT.indexOf(b[0]));
}

/** Sends the requests one after another, reading each body to its end; returns the statuses. */
async function sendAll(base: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const path of SENT) {
    const res = await fetch(base + path);
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

let server: RunningServer;

beforeAll(async () => {
  await ensureBuilt(['core', 'hono', 'server']);
  server = await startApilensServer();
}, 240_000);
afterAll(async () => {
  await server?.stop();
});

/** Starts a runtimes/*-server.mjs with a runtime binary, reporting to the collector under `apiKey`. */
function serve(command: string, args: string[], apiKey: string): Promise<SpawnedApp> {
  return spawnApp(command, args, {
    cwd: FIXTURES,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      APILENS_API_KEY: apiKey,
      APILENS_SERVER_URL: server.url,
      NO_COLOR: '1',
    },
  });
}

const runtimes: Array<[name: string, command: string, args: string[]]> = [
  ['Bun (Bun.serve)', BUN, ['bun-server.mjs']],
  // Deno reads node_modules as npm left it (package.json present); no lock file is written.
  [
    'Deno (Deno.serve)',
    DENO,
    ['run', '--no-lock', '--allow-net', '--allow-env', '--allow-read', 'deno-server.mjs'],
  ],
];

describe.each(runtimes)('%s', (_name, command, args) => {
  it('loads the web build and batches as on Node.js: full batches at once, the rest when the process runs out of work', async () => {
    const apiKey = await server.createKey();
    const app = await serve(command, args, apiKey);
    try {
      // The `bun` and `deno` export conditions select the web build: fetch, not undici.
      expect(await (await fetch(`${app.base}/build`)).text()).toBe('web');
      expect(await sendAll(app.base)).toEqual(EXPECTED.map(([, , status]) => status));
      // maxBatchSize 3: the first three records go out at once (the interval is an hour) ...
      expect(table(await server.waitForRows(apiKey, 3))).toEqual(EXPECTED.slice(0, 3));
      // ... and the other two stay queued until the process is about to exit.
      expect(await server.rows(apiKey)).toHaveLength(3);
      await fetch(`${app.base}/stop`, { method: 'POST' }).then((r) => r.text());
      // The server stops; with nothing left to do the runtime emits beforeExit, the core delivers.
      expect(await app.exit).toBe(0);
      const rows = await server.rows(apiKey);
      expect(table(rows)).toEqual(EXPECTED);
      expect(new Set(rows.map((r) => `${r.method} ${r.framework}`))).toEqual(new Set(['GET Hono']));
      expect(app.output()).not.toMatch(/apilens:/);
    } finally {
      app.child.kill('SIGKILL');
    }
  }, 60_000);
});

it('Deno without --allow-env: a TypeError that names the package, the variable and both fixes', async () => {
  const child = spawn(DENO, ['run', '--no-lock', 'deno-no-env.mjs'], {
    cwd: FIXTURES,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { exit, output } = watch(child);
  expect(await exit).toBe(0);
  expect(output().trim()).toMatch(
    /^TypeError: @apilens\/hono: could not read the APILENS_SERVER_URL environment variable \(.*--allow-env.*\)\. Allow it \(Deno: --allow-env=APILENS_SERVER_URL\) or pass config\.serverUrl\.$/,
  );
}, 60_000);

describe('Cloudflare workerd (miniflare)', () => {
  let bundling: Promise<{ code: string; inputs: string[] }> | undefined;

  /** The Worker, bundled the way wrangler does it: esbuild, the workerd/worker/browser conditions, nothing external. */
  function bundle(): Promise<{ code: string; inputs: string[] }> {
    bundling ??= build({
      entryPoints: [join(FIXTURES, 'worker.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['workerd', 'worker', 'browser'],
      metafile: true,
      logLevel: 'silent',
    }).then((result) => ({
      code: result.outputFiles[0]!.text,
      inputs: Object.keys(result.metafile.inputs),
    }));
    return bundling;
  }

  it('bundles with the web build of the core and nothing of undici', async () => {
    const { inputs } = await bundle();
    const core = inputs.filter((p) => p.includes('core/dist/'));
    expect(core.length).toBeGreaterThan(0);
    expect(core.filter((p) => !p.includes('core/dist/web/'))).toEqual([]);
    expect(inputs.filter((p) => p.includes('undici'))).toEqual([]);
  }, 60_000);

  it.each([
    ['without Node.js compatibility', []],
    ['with nodejs_compat', ['nodejs_compat']],
  ])(
    '%s: each request is delivered with executionCtx.waitUntil',
    async (_name, flags) => {
      const apiKey = await server.createKey();
      const mf = new Miniflare({
        modules: true,
        script: (await bundle()).code,
        compatibilityDate: '2025-09-01',
        compatibilityFlags: flags,
        // The placeholder Request.cf, not one fetched from Cloudflare: no internet here.
        cf: false,
        bindings: { APILENS_API_KEY: apiKey, APILENS_SERVER_URL: server.url },
      });
      try {
        const base = (await mf.ready).origin;
        expect(await (await fetch(`${base}/build`)).text()).toBe('web');
        // One request at a time, and its row must arrive before the next is sent: nothing is left
        // waiting for a timer, each request's delivery outlives its response through waitUntil.
        for (let i = 0; i < SENT.length; i++) {
          const res = await fetch(base + SENT[i]);
          await res.arrayBuffer();
          expect(res.status).toBe(EXPECTED[i]![2]);
          await server.waitForRows(apiKey, i + 1);
        }
        const rows = await server.rows(apiKey);
        expect(table(rows)).toEqual(EXPECTED);
        expect(new Set(rows.map((r) => `${r.method} ${r.framework}`))).toEqual(new Set(['GET Hono']));
      } finally {
        await mf.dispose();
      }
    },
    60_000,
  );
});

const ESM = "import('@apilens/core/internal').then((m) => console.log(m.runtime.build))";
const CJS = "console.log(require('@apilens/core/internal').runtime.build)";

// Which build each runtime's export conditions pick, through `import` and through `require`.
it.each([
  ['Node.js (import)', 'node', process.execPath, ['-e', ESM]],
  ['Node.js (require)', 'node', process.execPath, ['-e', CJS]],
  ['Bun (import)', 'web', BUN, ['-e', ESM]],
  ['Bun (require)', 'web', BUN, ['-e', CJS]],
  ['Deno (import)', 'web', DENO, ['eval', '--no-lock', ESM]],
])(
  '%s loads the %s build of the core',
  async (_name, build, command, args) => {
    const child = spawn(command, args, {
      cwd: FIXTURES,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { exit, output } = watch(child);
    expect(await exit).toBe(0);
    expect(output().trim()).toBe(build);
  },
  60_000,
);
