// Three `apilens serve` processes (the built CLI) on one PostgreSQL database, as behind a load
// balancer: the jobs that must run once (retention, monitor pings) run once, and SDK traffic spread
// over the three survives one of them being SIGKILLed mid-load — the SDK retries through the
// balancer onto the others, every acknowledged row is stored, and every process's dashboard
// agrees with the rows counted straight from the database.
//
// The balancer is a small round-robin proxy on loopback, like nginx's `proxy_next_upstream error`:
// a backend that refuses the connection is marked down and skipped; a request cut off by a dying
// backend gets a 502 (the SDK retries it). It also records, per backend, the batches in flight,
// and the rows of every batch cut off after it was sent: those are "in doubt" (the process may have
// committed them before it died), the only rows a retry may store twice.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Analytics } from '@apilens/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import { reapOnExit, sleep } from '../../../test-utils/helpers.js';
import { watch } from '../../../test-utils/spawn-app.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

interface Collector {
  proc: ChildProcess;
  url: string;
  port: number;
  output(): string;
  exit: Promise<number | null>;
}

async function startCollector(databaseUrl: string): Promise<Collector> {
  const proc = spawn(
    process.execPath,
    [
      join(packageDir('server'), 'dist/cli.cjs'),
      'serve',
      '--database-url',
      databaseUrl,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--no-demo',
      '--no-geoip',
      '--rate-limit',
      '0',
      // Behind the proxy every client has its address.
      '--max-connections-per-address',
      '0',
      '--monitor-min-interval',
      '1',
      '--monitor-allow-private',
      '--retention-months',
      '1',
      '--retention-interval',
      '1',
      // debug: the retention job logs each run it makes.
      '--log-level',
      'debug',
    ],
    { env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  reapOnExit(proc);
  const watched = watch(proc);
  try {
    const url = (await watched.waitFor(/apilens listening on (http:\/\/[^\s,"]+)/, 30_000))[1]!;
    return { proc, url, port: Number(new URL(url).port), output: watched.output, exit: watched.exit };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
}

/** Rows in an ingest body: the compact format's `count`, or the length of a row-format array. */
function rowsIn(body: Buffer, encoding: string | undefined): number {
  try {
    const parsed = JSON.parse((encoding === 'gzip' ? gunzipSync(body) : body).toString()) as unknown;
    if (Array.isArray(parsed)) return parsed.length;
    return Number((parsed as { count?: number }).count ?? 0);
  } catch {
    return 0;
  }
}

interface Balancer {
  url: string;
  /** Requests in flight per backend index. */
  inFlight: number[];
  /** Rows of ingest batches cut off by a backend after they were sent (may have been stored). */
  inDoubtRows: number;
  inDoubtBatches: number;
  /** Requests answered 502 because their backend failed. */
  failed: number;
  /** Requests each backend answered. */
  answered: number[];
  close(): Promise<void>;
}

/** A round-robin HTTP proxy over `ports`; see the file comment. */
async function startBalancer(ports: number[]): Promise<Balancer> {
  const down = new Set<number>();
  let next = 0;
  const b: Omit<Balancer, 'url' | 'close'> = {
    inFlight: ports.map(() => 0),
    inDoubtRows: 0,
    inDoubtBatches: 0,
    failed: 0,
    answered: ports.map(() => 0),
  };
  const pick = (): number | undefined => {
    for (let i = 0; i < ports.length; i++) {
      const candidate = (next + i) % ports.length;
      if (!down.has(candidate)) {
        next = candidate + 1;
        return candidate;
      }
    }
    return undefined;
  };
  const forward = (req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => {
    const target = pick();
    if (target === undefined) {
      res.writeHead(502).end('{"error":"no backend"}');
      return;
    }
    b.inFlight[target]!++;
    let sent = false;
    let settled = false;
    const settle = () => {
      if (!settled) b.inFlight[target]!--;
      settled = true;
    };
    const upstream = httpRequest(
      { host: '127.0.0.1', port: ports[target], method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          settle();
          b.answered[target]!++;
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
        });
        answer.on('error', () => fail());
      },
    );
    const fail = () => {
      if (settled) return;
      settle();
      b.failed++;
      if (sent && req.url?.startsWith('/api/log-')) {
        b.inDoubtBatches++;
        b.inDoubtRows += rowsIn(body, req.headers['content-encoding'] as string | undefined);
      }
      if (!res.headersSent) res.writeHead(502).end('{"error":"backend failed"}');
    };
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      // Refused: the process is gone; later requests skip it. The request never reached it.
      if (err.code === 'ECONNREFUSED') {
        down.add(target);
        sent = false;
      }
      fail();
    });
    upstream.end(body, () => {
      sent = true;
    });
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(b, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A loopback HTTP target counting its hits. */
async function startTarget(): Promise<{ url: string; hits: number[]; close(): Promise<void> }> {
  const hits: number[] = [];
  const server = createServer((_req, res) => {
    hits.push(Date.now());
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe('PostgreSQL: three collector processes on one database', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let collectors: Collector[] = [];

  beforeAll(async () => {
    await ensureBuilt(['server']);
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    collectors = await Promise.all([0, 1, 2].map(() => startCollector(db.url)));
  }, 120_000);

  afterAll(async () => {
    for (const c of collectors)
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(collectors.map((c) => c.exit));
    await sql?.end();
    await db?.drop();
  });

  it('run retention in one process and ping each monitor once per interval', {
    timeout: 60_000,
  }, async () => {
    const target = await startTarget();
    try {
      // A key unused for longer than the retention: the next run deletes it, in one process.
      const stale = await json(`${collectors[0]!.url}/api/generate`, { method: 'POST' });
      await sql.query('UPDATE keys SET last_used_at = 0 WHERE dashboard_id = $1', [stale.dashboard_id]);
      const owner = await json(`${collectors[1]!.url}/api/generate`, { method: 'POST' });
      const intervalSeconds = 2;
      await json(`${collectors[2]!.url}/api/monitors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': owner.api_key },
        body: JSON.stringify({ url: target.url, method: 'GET', intervalSeconds }),
      });
      const before = collectors.map((c) => c.output().length);
      const windowMs = 12_000;
      await sleep(windowMs);

      // Retention ran every second for 12 s: all in one process, none in the two others.
      const runs = collectors.map((c, i) => count(c.output().slice(before[i]), /retention: (ran|deleted)/));
      expect(runs.filter((n) => n > 0)).toHaveLength(1);
      expect(Math.max(...runs)).toBeGreaterThanOrEqual(5);
      const deletions = collectors.reduce((n, c) => n + count(c.output(), /deleted unused keys/), 0);
      expect(deletions).toBe(1);
      const left = await sql.query('SELECT count(*)::int AS n FROM keys WHERE dashboard_id = $1', [
        stale.dashboard_id,
      ]);
      expect(left.rows[0].n).toBe(0);

      // Pings: the first within 2 s of creation, then one every 2 s ± 10 %, whichever process
      // claims it. Three processes each pinging would make about three times as many.
      const hits = target.hits.length;
      const most = Math.ceil(windowMs / (intervalSeconds * 1000 * 0.9)) + 1;
      expect(hits).toBeGreaterThanOrEqual(3);
      expect(hits).toBeLessThanOrEqual(most);
      const gaps = target.hits.slice(1).map((t, i) => t - target.hits[i]!);
      expect(Math.min(...gaps)).toBeGreaterThan(intervalSeconds * 1000 * 0.8);
      // Each attempt is stored once.
      const attempts = await sql.query('SELECT count(*)::int AS n FROM monitor_attempts');
      expect(Math.abs(attempts.rows[0].n - hits)).toBeLessThanOrEqual(1);
    } finally {
      await target.close();
    }
  });

  it('keep every acknowledged row when one process is SIGKILLed mid-load', { timeout: 120_000 }, async () => {
    const balancer = await startBalancer(collectors.map((c) => c.port));
    try {
      const key = await json(`${balancer.url}/api/generate`, { method: 'POST' });
      const errors: string[] = [];
      const clients = [0, 1, 2, 3].map(
        () =>
          new Analytics(key.api_key, 'Express', {
            serverUrl: balancer.url,
            flushIntervalMs: 20,
            maxBatchSize: 200,
            // Enough for backoffs of 0.5, 1, 2, 4, 8 s while the balancer finds the process gone.
            maxRetries: 8,
            onError: (e) => errors.push(e.message),
          }),
      );
      const recorded = new Set<string>();
      const PER_CLIENT = 4500;
      const STEP = 30;
      const t0 = Date.UTC(2026, 9, 1);
      let killed: { at: number; inFlight: number } | undefined;
      const load = clients.map(async (client, c) => {
        for (let i = 0; i < PER_CLIENT; i += STEP) {
          for (let j = i; j < i + STEP; j++) {
            const path = `/mp/${c}/${j}`;
            recorded.add(path);
            client.record({
              method: 'GET',
              path,
              route: '/mp/:client/:n',
              status: j % 17 === 0 ? 500 : 200,
              responseTimeMs: j % 50,
              userAgent: 'curl/8.5.0',
              createdAt: t0 + c * PER_CLIENT + j,
            });
          }
          await sleep(15);
        }
      });
      // Mid-load, once the victim has a batch in flight: SIGKILL (no shutdown, no goodbye).
      const victim = collectors[1]!;
      const killer = (async () => {
        const deadline = Date.now() + 30_000;
        while (recorded.size < (PER_CLIENT * clients.length) / 3 || balancer.answered[1]! < 5) {
          if (Date.now() > deadline)
            throw new Error(`no kill: ${balancer.answered[1]} answers from the victim`);
          await sleep(5);
        }
        while (balancer.inFlight[1] === 0 && Date.now() < deadline) await sleep(1);
        killed = { at: recorded.size, inFlight: balancer.inFlight[1]! };
        victim.proc.kill('SIGKILL');
      })();
      await Promise.all([...load, killer]);
      const delivered = await Promise.all(clients.map((c) => c.shutdown(60_000)));
      expect(errors.filter((e) => /dropped|lost/.test(e))).toEqual([]);
      expect(delivered).toEqual([true, true, true, true]);
      expect(await victim.exit).toBe(null);
      expect(victim.proc.signalCode).toBe('SIGKILL');
      expect(killed!.inFlight).toBeGreaterThan(0);
      expect(balancer.answered[1]).toBeGreaterThanOrEqual(5);
      expect(killed!.at).toBeLessThan(recorded.size);
      const retries = clients.reduce((n, c) => n + c.stats().retries, 0);
      expect(retries).toBeGreaterThan(0);

      // Every recorded (and acknowledged: no loss above) row is stored once, nothing else is;
      // also the rows of the batches the dead process may have committed before its answer was
      // lost: their retries carry the same batch id, which the database already holds.
      const stored = await sql.query<{ path: string; n: number }>(
        `SELECT r.path, count(*)::int AS n FROM requests r JOIN keys k ON k.id = r.key_id
         WHERE k.dashboard_id = $1 GROUP BY r.path`,
        [key.dashboard_id],
      );
      const byPath = new Map(stored.rows.map((r) => [r.path, r.n]));
      const missing = [...recorded].filter((p) => !byPath.has(p));
      const unknown = [...byPath.keys()].filter((p) => !recorded.has(p));
      const duplicates = stored.rows.reduce((n, r) => n + r.n - 1, 0);
      expect(missing).toEqual([]);
      expect(unknown).toEqual([]);
      expect(duplicates).toBe(0);
      const total = stored.rows.reduce((n, r) => n + r.n, 0);
      console.log(
        `multi-process: ${recorded.size} rows recorded, ${total} stored; killed with ` +
          `${killed!.inFlight} request(s) in flight at ${killed!.at} recorded; ${balancer.inDoubtBatches} ` +
          `batch(es) / ${balancer.inDoubtRows} rows in doubt; ${retries} SDK retries; answered per process ` +
          `${balancer.answered.join('/')}`,
      );

      // Each surviving process's dashboard counts what the database holds.
      for (const c of [collectors[0]!, collectors[2]!]) {
        const dashboard = await json(`${c.url}/api/dashboard/${key.dashboard_id}?period=all&tz=UTC`);
        expect(dashboard.totals.requests).toBe(total);
        const errorsStored = stored.rows.filter((r) => Number(r.path.split('/')[3]) % 17 === 0);
        expect(dashboard.totals.errorRate).toBeCloseTo(errorsStored.reduce((n, r) => n + r.n, 0) / total, 6);
      }
    } finally {
      await balancer.close();
    }
  });
});
