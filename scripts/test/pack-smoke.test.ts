// The packages as people install them. Every published package is packed with `pnpm pack` and the
// tarballs are installed with npm into a fresh project outside the workspace (no workspace links;
// third-party dependencies from the registry, through npm's cache). There, each entry point is
// loaded as ESM and as CommonJS, a TypeScript file is checked against the packages' own types
// (moduleResolution node16 and bundler), and an Express app with @apilens/express reports to
// @apilens/server started from its installed `apilens` command; the rows are read back through
// the data API. The files of scripts/test/pack-project are copied into that project.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataRow, startApilensServer } from '../../test-utils/apilens-server.js';
import {
  type PackedPackage,
  packageDir,
  packPublished,
  publishedPackages,
  readManifest,
  repoRoot,
} from '../../test-utils/build.js';
import { spawnApp } from '../../test-utils/spawn-app.js';

const run = promisify(execFile);

const published = publishedPackages();

/**
 * The third-party packages the project needs, each at the exact version the workspace has
 * installed for the package named beside it (what the tests ran with): the frameworks the
 * adapters are imported with, their types for the type check, and TypeScript.
 */
const THIRD_PARTY: Record<string, string> = {
  express: 'packages/express',
  '@types/express': 'packages/express',
  fastify: 'packages/fastify',
  hono: 'packages/hono',
  koa: 'packages/koa',
  '@koa/router': 'packages/koa',
  '@types/koa': 'packages/koa',
  '@nestjs/common': 'packages/nestjs',
  '@nestjs/core': 'packages/nestjs',
  '@nestjs/platform-express': 'packages/nestjs',
  'reflect-metadata': 'packages/nestjs',
  rxjs: 'packages/nestjs',
  typescript: '.',
  '@types/node': '.',
};

/** Version of `name` as installed in the workspace folder `from` (pnpm links each package's own). */
function installedVersion(name: string, from: string): string {
  for (const base of [join(repoRoot, from), repoRoot]) {
    const manifest = join(base, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return readManifest(manifest).version;
  }
  throw new Error(`${name} is not installed in ${from}: run pnpm install`);
}

/** Public names each entry point exports, written out here from the READMEs (a subset: more may exist). */
const EXPORTS: Record<string, string[]> = {
  '@apilens/core': [
    'Analytics',
    'ApilensError',
    'Config',
    'DEFAULTS',
    'attachControls',
    'instrument',
    'nodeAccessors',
  ],
  '@apilens/core/internal': ['encodeBatch', 'rowsBody', 'RecordBatch', 'OPTION_NAMES', 'runtime'],
  '@apilens/express': ['ApilensError', 'Config', 'expressAnalytics'],
  '@apilens/express/internal': ['recordingMiddleware'],
  '@apilens/fastify': ['ApilensError', 'Config', 'default', 'fastifyAnalytics'],
  '@apilens/fastify/internal': ['recordingHook'],
  '@apilens/hono': ['ApilensError', 'Config', 'honoAnalytics'],
  '@apilens/koa': ['ApilensError', 'Config', 'koaAnalytics'],
  '@apilens/nestjs': ['AnalyticsModule', 'AnalyticsService', 'ApilensError', 'Config', 'SkipAnalytics'],
  '@apilens/server': ['buildServer', 'createApiKey', 'openStore'],
};

const TMP = mkdtempSync(join(tmpdir(), 'apilens-pack-'));
const PROJECT = join(TMP, 'project');
const FIXTURES = join(repoRoot, 'scripts/test/pack-project');
const packed: PackedPackage[] = [];

/**
 * Country of each address, read here from the workspace's copy of the database with maxmind
 * (the collector's own lookup is what is tested).
 */
async function countryOf(addresses: string[]): Promise<Record<string, string | null>> {
  const fromServer = createRequire(join(packageDir('server'), 'package.json'));
  const maxmind = fromServer('maxmind') as {
    open<T>(file: string): Promise<{ get(ip: string): T | null }>;
  };
  const reader = await maxmind.open<{ country_code?: string }>(
    fromServer.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'),
  );
  return Object.fromEntries(addresses.map((ip) => [ip, reader.get(ip)?.country_code ?? null]));
}

/**
 * The environment of commands run in the project: without pnpm's npm_config_* settings, which
 * would steer npm, and without the NODE_PATH vitest runs under, through which the installed
 * packages would find the workspace's (the dashboard app, the GeoIP package) instead of failing.
 */
function projectEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|NODE_PATH$)/i.test(key)),
  );
}

/** Runs a command in the project; fails with everything it printed. */
async function inProject(command: string, args: string[], timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: PROJECT,
      env: projectEnv(),
      timeout,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed in the project:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`,
    );
  }
}

beforeAll(async () => {
  mkdirSync(join(TMP, 'tarballs'));
  packed.push(...(await packPublished(join(TMP, 'tarballs'))));
  mkdirSync(PROJECT);
  const dependencies = Object.fromEntries([
    ...packed.map((p) => [p.name, `file:${p.tarball}`]),
    ...Object.entries(THIRD_PARTY).map(([name, from]) => [name, installedVersion(name, from)]),
  ]);
  writeFileSync(
    join(PROJECT, 'package.json'),
    JSON.stringify({ name: 'apilens-pack-smoke', private: true, dependencies }, null, 2),
  );
  for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(PROJECT, file));
  for (const ext of ['mts', 'cts', 'ts']) {
    copyFileSync(join(FIXTURES, 'types.ts'), join(PROJECT, `check.${ext}`));
    copyFileSync(join(FIXTURES, 'nest-types.ts'), join(PROJECT, `nest.${ext}`));
  }
  // The registry only for what the cache lacks; bounded: a cold cache downloads the frameworks once.
  // Without install scripts: the one package here that has one is better-sqlite3 (the SQLite
  // store), whose prebuilt binary comes from GitHub, out of reach of CI, so npm would compile it
  // from source: 3 to 10 minutes on two busy cores. The collector runs on DuckDB here (a prebuilt
  // platform package, no script) and loads better-sqlite3's binary only for a SQLite file. A
  // test below checks that no other installed package needed a script.
  await inProject(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    600_000,
  );
}, 900_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('packed packages', () => {
  it('each tarball holds its build, package.json, README and LICENSE, and nothing from tests or sources', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(published.map(({ manifest }) => manifest.name).sort());
    for (const { name, files } of packed) {
      expect(files, name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
      const stray = files.filter(
        (f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f),
      );
      expect(stray, name).toEqual([]);
      expect(
        files.filter((f) => /(^|\/)(test|tests|fixtures|bench|src)\/|\.test\./.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it('no installed package but better-sqlite3 has an install step (the install ran without scripts)', () => {
    const withScripts: string[] = [];
    const visit = (modules: string) => {
      if (!existsSync(modules)) return;
      for (const entry of readdirSync(modules)) {
        if (entry.startsWith('.')) continue;
        const dirs = entry.startsWith('@')
          ? readdirSync(join(modules, entry)).map((name) => join(modules, entry, name))
          : [join(modules, entry)];
        for (const dir of dirs) {
          const manifest = readManifest(join(dir, 'package.json')) as {
            name: string;
            scripts?: Record<string, string>;
          };
          const scripts = manifest.scripts ?? {};
          // npm runs `node-gyp rebuild` for a binding.gyp without an install script.
          if (
            scripts.preinstall ||
            scripts.install ||
            scripts.postinstall ||
            existsSync(join(dir, 'binding.gyp'))
          ) {
            withScripts.push(manifest.name);
          }
          visit(join(dir, 'node_modules'));
        }
      }
    };
    visit(join(PROJECT, 'node_modules'));
    expect(withScripts.filter((name) => name !== 'better-sqlite3')).toEqual([]);
  });

  it('the project got the @apilens packages from the tarballs, once each: nothing from the registry, no second copy', () => {
    const lock = JSON.parse(readFileSync(join(PROJECT, 'node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    const apilens = Object.entries(lock.packages).filter(([path]) => /node_modules\/@apilens\//.test(path));
    expect(apilens.map(([path]) => path).sort()).toEqual(packed.map((p) => `node_modules/${p.name}`).sort());
    for (const [path, entry] of apilens) expect(entry.resolved, path).toMatch(/^file:.*\.tgz$/);
  });

  describe.each([
    ['ESM (import)', 'imports.mjs'],
    ['CommonJS (require)', 'imports.cjs'],
  ])('%s', (_kind, script) => {
    it('loads every entry point with its public names', async () => {
      const found = JSON.parse(
        await inProject(process.execPath, [script, JSON.stringify(Object.keys(EXPORTS))]),
      );
      for (const [entry, names] of Object.entries(EXPORTS)) {
        expect(found[entry], entry).toEqual(expect.arrayContaining(names));
      }
    });
  });

  it('ESM and CommonJS builds export the same names', async () => {
    const entries = JSON.stringify(Object.keys(EXPORTS));
    const esm = JSON.parse(await inProject(process.execPath, ['imports.mjs', entries]));
    const cjs = JSON.parse(await inProject(process.execPath, ['imports.cjs', entries]));
    expect(cjs).toEqual(esm);
  });

  // node16: ESM and CommonJS, one program each; Nest 12 from CommonJS needs require(esm) (node20).
  it.each(['node16', 'node16-cjs', 'node20-cjs', 'bundler'])(
    'type-checks against the packages’ own types (%s)',
    async (mode) => {
      await inProject(process.execPath, ['node_modules/typescript/bin/tsc', '-p', `tsconfig.${mode}.json`]);
    },
  );

  it('an Express app reports to the collector started from the installed `apilens` command', async () => {
    const server = await startApilensServer({
      command: join(PROJECT, 'node_modules/.bin/apilens'),
      cwd: PROJECT,
      baseEnv: projectEnv(),
    });
    try {
      const apiKey = await server.createKey();
      const app = await spawnApp(process.execPath, ['express-app.mjs'], {
        cwd: PROJECT,
        env: { ...projectEnv(), APILENS_API_KEY: apiKey, APILENS_SERVER_URL: server.url },
      });
      // Client addresses as a proxy would pass them: the installed collector's bundled GeoIP
      // database must name their countries.
      const requests: Array<[path: string, client: string]> = [
        ['/users/7?tab=orders', '8.8.8.8'],
        ['/boom', '81.2.69.142'],
        ['/missing', '2001:4860:4860::8888'],
      ];
      const sent: Array<[path: string, status: number]> = [];
      for (const [path, client] of requests) {
        const res = await fetch(app.base + path, { headers: { 'x-forwarded-for': client } });
        await res.arrayBuffer();
        sent.push([path, res.status]);
      }
      expect(sent).toEqual([
        ['/users/7?tab=orders', 200],
        ['/boom', 500],
        ['/missing', 404],
      ]);
      // SIGTERM: the app's handler (as in the README) shuts the SDK down, which delivers.
      app.child.kill('SIGTERM');
      expect(await app.exit).toBe(0);
      const rows = await server.waitForRows(apiKey, 3);
      const country = await countryOf(requests.map(([, client]) => client));
      const table = (r: DataRow) => [
        r.method,
        r.path,
        r.route,
        r.status,
        r.framework,
        r.ip_address,
        r.location,
      ];
      expect(rows.map(table).sort()).toEqual(
        [
          ['GET', '/users/7', '/users/:id', 200, 'Express', '8.8.8.8', country['8.8.8.8']],
          ['GET', '/boom', '/boom', 500, 'Express', '81.2.69.142', country['81.2.69.142']],
          ['GET', '/missing', null, 404, 'Express', '2001:4860:4860::8888', country['2001:4860:4860::8888']],
        ].sort(),
      );
      expect(app.output()).not.toMatch(/apilens:/);
      // The installed collector stored them in DuckDB, through its installed native binding.
      expect(server.output()).toMatch(/storing in DuckDB \S+apilens\.duckdb/);
      // And serves the dashboard web app from the tarball: its page and the scripts it loads.
      const page = await fetch(`${server.url}/dashboard/demo`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const assets = [...(await page.text()).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThan(0);
      for (const asset of assets) expect((await fetch(server.url + asset)).status, asset).toBe(200);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('@apilens/server ships its GeoIP database (with the data licence) instead of depending on the package', () => {
    const server = packed.find((p) => p.name === '@apilens/server')!;
    expect(server.files).toEqual(
      expect.arrayContaining([
        'dist/geoip/geo-whois-asn-country.mmdb',
        'dist/geoip/NRO_LICENSE',
        'dist/geoip/README.md',
      ]),
    );
    expect(existsSync(join(PROJECT, 'node_modules/@ip-location-db'))).toBe(false);
  });

  it('@apilens/server ships the built dashboard web app', () => {
    const server = packed.find((p) => p.name === '@apilens/server')!;
    const app = server.files.filter((f) => f.startsWith('dist/public/'));
    expect(app).toContain('dist/public/index.html');
    // The workspace's build, every file of it (precompressed copies included).
    const dist = join(packageDir('dashboard'), 'dist');
    const built = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) =>
      statSync(join(dist, f)).isFile(),
    );
    expect(app.map((f) => f.slice('dist/public/'.length)).sort()).toEqual(built.sort());
  });

  it('@apilens/server: its unpacked size (dependencies not counted) is under 15 MB', async () => {
    const server = packed.find((p) => p.name === '@apilens/server')!;
    const root = join(PROJECT, 'node_modules/@apilens/server');
    const bytes = server.files.reduce((sum, file) => sum + statSync(join(root, file)).size, 0);
    console.log(`@apilens/server unpacked: ${(bytes / 1e6).toFixed(2)} MB in ${server.files.length} files`);
    expect(bytes).toBeLessThan(15e6);
  });
});
