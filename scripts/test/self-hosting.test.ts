// docs/self-hosting.md, run as written: its systemd unit passes `systemd-analyze verify` without a
// warning and its ExecStart starts the collector; its Caddy and nginx configurations terminate TLS
// in front of that collector and pass the client address it trusts; the DuckDB backups (SIGUSR2
// to the running collector and restore; stop, copy, start) and the PostgreSQL dump and restore
// keep every row. Paths move to a temporary
// directory and ports to free ones; everything else is the doc's text.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir, repoRoot } from '../../test-utils/build.js';
import { pgServerUrl } from '../../test-utils/pg.js';
import { type Watched, watch } from '../../test-utils/spawn-app.js';

const run = promisify(execFile);
const DOC = readFileSync(join(repoRoot, 'docs/self-hosting.md'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'apilens-self-hosting-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BLOCKS = [...DOC.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => ({ at: m.index, text: m[1]! }));

/** The first code block of the doc that contains `marker`, else the first one after the text naming it. */
function block(marker: string): string {
  const found = BLOCKS.find((b) => b.text.includes(marker));
  if (found) return found.text;
  const at = DOC.indexOf(marker);
  expect(at, `docs/self-hosting.md names ${marker}`).toBeGreaterThan(-1);
  const after = BLOCKS.find((b) => b.at > at);
  expect(after, `a code block after ${marker}`).toBeDefined();
  return after!.text;
}

/** Replaces `from` in `text`, failing when the doc no longer contains it (the test would test nothing). */
function swap(text: string, from: string | RegExp, to: string): string {
  expect(text).toMatch(from);
  return text.replaceAll(from, to);
}

/** The unit of the doc, with the Node.js binary of this machine (the doc says to adjust it). */
function unit(): string {
  return block('/etc/systemd/system/apilens.service').replaceAll('/usr/bin/node', process.execPath);
}

/** Runs a command; fails with what it printed. */
async function sh(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  try {
    return (await run(command, args, { timeout: 60_000, maxBuffer: 16 << 20, ...options })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${command} ${args.join(' ')}\` failed:\n${e.stderr || e.stdout || e.message}`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port. */
async function waitForPort(port: number, watched: Watched, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${port} after ${timeoutMs} ms:\n${watched.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Collector {
  url: string;
  port: number;
  output(): string;
  /** Sends a signal, as `systemctl kill -s` does. */
  signal(name: NodeJS.Signals): void;
  /** SIGTERM, as `systemctl stop` sends it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * The unit's ExecStart with /var/lib/apilens moved to `stateDir`, the installed CLI to the
 * workspace's build, any free port, the `removed` parts taken out and `extra` flags appended.
 */
async function startFromUnit(
  stateDir: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  removed: string[] = [],
): Promise<Collector> {
  let exec = /^ExecStart=(.+)$/m.exec(unit())?.[1];
  expect(exec).toBeDefined();
  for (const part of removed) exec = swap(exec!, part, '');
  const line = swap(
    swap(
      exec!,
      '/opt/apilens/node_modules/@apilens/server/dist/cli.cjs',
      join(packageDir('server'), 'dist/cli.cjs'),
    ),
    '/var/lib/apilens',
    stateDir,
  ).replace(/--port \d+/, '--port 0');
  const [command, ...args] = line.split(/\s+/);
  mkdirSync(stateDir, { recursive: true });
  const child = spawn(command!, [...args, ...extra], {
    cwd: stateDir,
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const watched = watch(child);
  const [, url, port] = await watched.waitFor(/apilens listening on (http:\/\/127\.0\.0\.1:(\d+))/, 30_000);
  return {
    url: url!,
    port: Number(port),
    output: watched.output,
    signal(name) {
      child.kill(name);
    },
    async stop() {
      child.kill('SIGTERM');
      return watched.exit;
    },
  };
}

/** One upstream-format row per path, each with a user agent long enough to make big batches. */
function batch(apiKey: string, paths: string[]): string {
  // Python's datetime.isoformat(): microseconds, no zone.
  const createdAt = `${new Date().toISOString().slice(0, 23)}456`;
  return JSON.stringify({
    api_key: apiKey,
    framework: 'Flask',
    privacy_level: 0,
    requests: paths.map((path, i) => ({
      hostname: 'api.example.com',
      ip_address: '203.0.113.9',
      path,
      user_agent: `python-requests/2.32.3 (self-hosting test; ${'x'.repeat(300)})`,
      method: 'POST',
      status: 200 + (i % 3),
      response_time: i % 50,
      user_id: null,
      created_at: createdAt,
    })),
  });
}

async function createKey(url: string): Promise<string> {
  const res = await fetch(`${url}/api/generate`, { method: 'POST' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { api_key: string }).api_key;
}

async function ingest(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/api/log-request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const answer = (await res.json()) as { accepted: number };
  expect(res.status, JSON.stringify(answer)).toBe(200);
  return answer.accepted;
}

/** Paths and statuses of every row under the key, sorted, as the data API returns them. */
async function storedRows(url: string, apiKey: string): Promise<string[]> {
  const res = await fetch(`${url}/api/data?format=ndjson`, { headers: { 'x-auth-token': apiKey } });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const row = JSON.parse(line) as { path: string; status: number };
      return `${row.path} ${row.status}`;
    })
    .sort();
}

describe('docs/self-hosting.md', () => {
  beforeAll(() => ensureBuilt(['server']), 240_000);

  it('the systemd unit passes systemd-analyze verify without a warning', async () => {
    const file = join(tmp, 'apilens.service');
    writeFileSync(file, unit());
    // systemd-analyze comes from Debian's systemd package (scripts/system-deps.sh).
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file], { timeout: 60_000 }).catch(
      (err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`systemd-analyze verify failed:\n${err.stderr || err.stdout || err.message}`);
      },
    );
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it('the unit’s ExecStart starts the collector on DuckDB (paths moved to a temporary directory)', async () => {
    const collector = await startFromUnit(join(tmp, 'unit'));
    try {
      expect(collector.output()).toMatch(/storing in DuckDB \S+\/unit\/apilens\.duckdb/);
      expect((await fetch(`${collector.url}/api/health`)).status).toBe(200);
    } finally {
      expect(await collector.stop()).toBe(0);
    }
  }, 120_000);

  describe.each([
    ['Caddy', '/etc/caddy/Caddyfile'],
    ['nginx', '/etc/nginx/sites-available/apilens'],
  ])('behind %s', (proxy, file) => {
    let collector: Collector;
    let proxyChild: ChildProcess | undefined;
    let tls: number;
    let cert: Buffer;
    const dir = join(tmp, proxy);

    /** An HTTPS request to the proxy, for apilens.example.com, from the loopback address `from`. */
    function viaProxy(
      from: string,
      method: string,
      path: string,
      headers: Record<string, string> = {},
      body?: string,
    ): Promise<{ status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: tls,
            servername: 'apilens.example.com',
            ca: cert,
            localAddress: from,
            method,
            path,
            // As a browser or SDK would send it: Caddy picks the site by it.
            headers: { host: 'apilens.example.com', ...headers },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode!, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    beforeAll(async () => {
      mkdirSync(dir, { recursive: true });
      // --generate-per-hour 2: the third key from one client address is refused.
      collector = await startFromUnit(join(dir, 'lib'), ['--generate-per-hour', '2']);
      await sh('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=apilens.example.com',
        '-addext',
        'subjectAltName=DNS:apilens.example.com',
      ]);
      cert = readFileSync(join(dir, 'cert.pem'));
      tls = await freePort();
      const http = await freePort();
      let config = swap(block(file), '127.0.0.1:8787', `127.0.0.1:${collector.port}`);
      let command: string;
      let args: string[];
      if (proxy === 'Caddy') {
        // The automatic certificate needs the internet: this one is given; no admin endpoint
        // (several test runs at once), ports of our own.
        config = `{\n\tadmin off\n\thttp_port ${http}\n\thttps_port ${tls}\n\tauto_https disable_redirects\n\tstorage file_system ${join(dir, 'caddy-data')}\n}\n${swap(
          config,
          'apilens.example.com {',
          `apilens.example.com {\n\tbind 127.0.0.1\n\ttls ${join(dir, 'cert.pem')} ${join(dir, 'key.pem')}`,
        )}`;
        writeFileSync(join(dir, 'Caddyfile'), config);
        await sh('caddy', ['validate', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
          env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
        });
        command = 'caddy';
        args = ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'];
      } else {
        config = swap(config, /^\s*listen \[::\]:\d+.*\n/gm, '');
        config = swap(config, 'listen 443 ssl;', `listen 127.0.0.1:${tls} ssl;`);
        config = swap(config, 'listen 80;', `listen 127.0.0.1:${http};`);
        config = swap(
          config,
          '/etc/letsencrypt/live/apilens.example.com/fullchain.pem',
          join(dir, 'cert.pem'),
        );
        config = swap(config, '/etc/letsencrypt/live/apilens.example.com/privkey.pem', join(dir, 'key.pem'));
        writeFileSync(join(dir, 'apilens.conf'), config);
        // What /etc/nginx/nginx.conf gives a site, in this directory; one process, as this user.
        const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
          .map((t) => `${t}_temp_path ${join(dir, `${t}-temp`)};`)
          .join(' ');
        writeFileSync(
          join(dir, 'nginx.conf'),
          `daemon off; master_process off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')};\n` +
            `events {}\nhttp { access_log off; ${temp} include ${join(dir, 'apilens.conf')}; }\n`,
        );
        args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
        await sh('nginx', ['-t', ...args]);
        command = 'nginx';
      }
      proxyChild = spawn(command, args, {
        cwd: dir,
        env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(proxyChild);
      await waitForPort(tls, watch(proxyChild));
    }, 120_000);

    afterAll(async () => {
      proxyChild?.kill('SIGTERM');
      await collector?.stop();
    });

    it('terminates TLS for apilens.example.com in front of the collector', async () => {
      const res = await viaProxy('127.0.0.1', 'GET', '/api/health');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', store: 'duckdb' });
    });

    it('passes the client address: each client has its own POST /api/generate limit, whatever it claims', async () => {
      // 127.0.0.2 and 127.0.0.3 are two clients of the proxy. 127.0.0.2 claims another address
      // each time: a proxy that kept a client's X-Forwarded-For would let it past the limit.
      const statuses: number[] = [];
      for (const claimed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        statuses.push(
          (await viaProxy('127.0.0.2', 'POST', '/api/generate', { 'x-forwarded-for': claimed })).status,
        );
      }
      statuses.push((await viaProxy('127.0.0.3', 'POST', '/api/generate')).status);
      expect(statuses).toEqual([200, 200, 429, 200]);
    });

    it('lets a 2 MB plain-JSON batch through to the collector', async () => {
      const apiKey = JSON.parse((await viaProxy('127.0.0.4', 'POST', '/api/generate')).body)
        .api_key as string;
      const paths = Array.from({ length: 5000 }, (_, i) => `/upstream/${i}`);
      const body = batch(apiKey, paths);
      // Above nginx's default limit of 1 MB.
      expect(body.length).toBeGreaterThan(2e6);
      const res = await viaProxy(
        '127.0.0.4',
        'POST',
        '/api/log-request',
        { 'content-type': 'application/json' },
        body,
      );
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ accepted: paths.length, rejected: [] });
      const rows = await storedRows(collector.url, apiKey);
      expect(rows).toEqual(paths.map((path, i) => `${path} ${200 + (i % 3)}`).sort());
    });
  });

  it('DuckDB backup while running: SIGUSR2 under ingest, restore; every batch acknowledged before it, whole', async () => {
    const lib = join(tmp, 'live-backup', 'lib');
    const collector = await startFromUnit(lib);
    let stopped = false;
    try {
      const apiKey = await createKey(collector.url);
      // Three clients send 100-row batches one after the other until told to stop.
      const acked: string[] = [];
      let writing = true;
      const writers = [0, 1, 2].map(async (c) => {
        for (let b = 0; writing; b++) {
          const paths = Array.from({ length: 100 }, (_, i) => `/c${c}/b${b}/${i}`);
          expect(await ingest(collector.url, batch(apiKey, paths))).toBe(100);
          acked.push(`/c${c}/b${b}/`);
        }
      });
      while (acked.length < 6) await new Promise((resolve) => setTimeout(resolve, 20));
      const before = [...acked];
      // `systemctl kill -s USR2 apilens` sends the service's process SIGUSR2.
      const take = block('systemctl kill -s USR2 apilens');
      expect(take).toContain('sudo systemctl kill -s USR2 apilens');
      collector.signal('SIGUSR2');
      const deadline = Date.now() + 60_000;
      while (!/backup \(SIGUSR2\): written/.test(collector.output())) {
        expect(Date.now(), collector.output()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const ls = take.split('\n').find((line) => line.startsWith('ls '));
      const listing = await sh('sh', ['-c', swap(ls!, '/var/lib/apilens', lib)]);
      const [name] = /apilens-\S+\.duckdb$/m.exec(listing)!;
      writing = false;
      await Promise.all(writers);

      // The restore lines; `systemctl stop` and `start` are a SIGTERM and a new start.
      const restore = block('sudo cp /var/lib/apilens/backups/');
      expect(restore).toMatch(/^sudo systemctl stop apilens$[\s\S]*^sudo systemctl start apilens$/m);
      expect(await collector.stop()).toBe(0);
      stopped = true;
      for (const line of restore.split('\n').filter((l) => l.trim() && !l.includes('systemctl'))) {
        const named = line.replaceAll(/apilens-\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z\.duckdb/g, name!);
        const command = swap(swap(named, /^sudo /g, ''), '/var/lib/apilens', lib);
        await sh('sh', ['-c', command]);
      }
      const restored = await startFromUnit(lib);
      try {
        const rows = await storedRows(restored.url, apiKey);
        const perBatch = new Map<string, number>();
        for (const row of rows) {
          const b = row.slice(0, row.lastIndexOf('/') + 1);
          perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
        }
        for (const b of before) expect(perBatch.get(b), `batch ${b}`).toBe(100);
        for (const [b, n] of perBatch) expect(n, `batch ${b}`).toBe(100);
        // Batches came after the backup too: the restored file is the snapshot, not the end state.
        expect(perBatch.size).toBeLessThan(acked.length);
      } finally {
        expect(await restored.stop()).toBe(0);
      }
    } finally {
      if (!stopped) await collector.stop();
    }
  }, 180_000);

  it('DuckDB backup: stop, copy, start; a collector on the copy serves every row', async () => {
    const lib = join(tmp, 'backup', 'lib');
    const backups = join(tmp, 'backup', 'backups');
    mkdirSync(backups, { recursive: true });
    const collector = await startFromUnit(lib);
    const apiKey = await createKey(collector.url);
    const paths = Array.from({ length: 1200 }, (_, i) => `/kept/${i}`);
    expect(await ingest(collector.url, batch(apiKey, paths.slice(0, 600)))).toBe(600);
    expect(await ingest(collector.url, batch(apiKey, paths.slice(600)))).toBe(600);
    // `systemctl stop` sends SIGTERM; the doc's other lines run as written.
    expect(await collector.stop()).toBe(0);
    expect(readdirSync(lib).filter((f) => f.endsWith('.wal'))).toEqual([]);
    const commands = block('sudo cp /var/lib/apilens/apilens.duckdb')
      .split('\n')
      .filter((line) => line.trim() && !line.includes('systemctl'));
    expect(commands).toHaveLength(1);
    const copy = swap(
      swap(swap(commands[0]!, /^sudo /g, ''), '/var/lib/apilens', lib),
      '/var/backups',
      backups,
    );
    await sh('sh', ['-c', copy]);
    const [file] = readdirSync(backups);
    expect(file).toMatch(/^apilens-\d{4}-\d{2}-\d{2}\.duckdb$/);
    // A collector on the copy alone, the original moved away.
    rmSync(lib, { recursive: true });
    const restored = await startFromUnit(join(tmp, 'backup', 'restored'), ['--db', join(backups, file!)]);
    try {
      expect(await storedRows(restored.url, apiKey)).toEqual(
        paths.map((p, i) => `${p} ${200 + (i % 3)}`).sort(),
      );
    } finally {
      expect(await restored.stop()).toBe(0);
    }
  }, 120_000);

  it('PostgreSQL: pg_dump while the collector writes, pg_restore into a new database; every batch whole', async () => {
    const server = new URL(pgServerUrl());
    const dbUrl = (name: string) => Object.assign(new URL(server.href), { pathname: `/${name}` }).href;
    // The doc's createdb and pg_restore lines reach this run's server through libpq's variables.
    const dir = join(tmp, 'pg');
    mkdirSync(dir, { recursive: true });
    const pgEnv = (extra: NodeJS.ProcessEnv = {}) => ({
      env: {
        ...process.env,
        PGHOST: server.hostname,
        PGPORT: server.port,
        PGUSER: decodeURIComponent(server.username),
        ...extra,
      },
      cwd: dir,
    });
    const source = `apilens_src_${randomUUID().slice(0, 8)}`;
    await sh('createdb', [source], pgEnv());
    // "Switching to PostgreSQL": the unit without --backup-dir, DATABASE_URL from the env file.
    expect(DOC).toContain("remove `--backup-dir /var/lib/apilens/backups` from the unit's `ExecStart`");
    const postgresUnit = [' --backup-dir /var/lib/apilens/backups'];
    const collector = await startFromUnit(
      join(dir, 'lib'),
      [],
      { DATABASE_URL: dbUrl(source) },
      postgresUnit,
    );
    let restored: Collector | undefined;
    try {
      expect(collector.output()).toMatch(/storing in PostgreSQL/);
      const apiKey = await createKey(collector.url);
      // Batches of 100 keep arriving while pg_dump runs: the dump holds each whole or not at all.
      let writing = true;
      let acknowledged = 0;
      const writer = (async () => {
        for (let b = 0; writing || b < 3; b++) {
          const paths = Array.from({ length: 100 }, (_, i) => `/batch/${b}/${i}`);
          expect(await ingest(collector.url, batch(apiKey, paths))).toBe(100);
          acknowledged = b + 1;
        }
      })();
      while (acknowledged < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const before = acknowledged;
      await sh('sh', ['-c', block('pg_dump').trim()], pgEnv({ DATABASE_URL: dbUrl(source) }));
      writing = false;
      await writer;
      const [dump] = readdirSync(dir).filter((f) => f.endsWith('.dump'));
      expect(dump).toMatch(/^apilens-\d{4}-\d{2}-\d{2}\.dump$/);
      const [create, restore, ...rest] = block('createdb apilens_restored').trim().split('\n');
      expect(rest).toEqual([]);
      await sh('sh', ['-c', create!], pgEnv());
      const restoreLine = swap(
        swap(
          restore!,
          'postgres://apilens:secret@db.internal:5432/apilens_restored',
          dbUrl('apilens_restored'),
        ),
        'apilens-2026-11-27.dump',
        dump!,
      );
      await sh('sh', ['-c', restoreLine], pgEnv());
      restored = await startFromUnit(
        join(dir, 'restored'),
        [],
        { DATABASE_URL: dbUrl('apilens_restored') },
        postgresUnit,
      );
      const perBatch = new Map<number, number>();
      for (const row of await storedRows(restored.url, apiKey)) {
        const b = Number(row.split('/')[2]);
        perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
      }
      // Every batch acknowledged before the dump began, then maybe some that came during it:
      // batches 0 … n-1, each with its 100 rows.
      expect(perBatch.size).toBeGreaterThanOrEqual(before);
      expect([...perBatch.keys()].sort((a, b) => a - b)).toEqual([...Array(perBatch.size).keys()]);
      expect([...perBatch.values()].filter((n) => n !== 100)).toEqual([]);
    } finally {
      expect(await collector.stop()).toBe(0);
      if (restored) expect(await restored.stop()).toBe(0);
    }
  }, 120_000);
});
