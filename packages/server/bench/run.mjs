// Collector benchmark: `pnpm bench:server` (root) or `pnpm --filter @apilens/server bench`.
//
//   1. HTTP ingest rows/s: gzip batches of 1 000 rows from several concurrent clients (undici),
//      into DuckDB and into PostgreSQL, against the built `apilens serve` in a child process;
//      once in the upstream row format (what upstream clients send) and once in the compact
//      format (what apilens SDKs send).
//   2. Data API over a 5M-row key (bulk-loaded through the store, not over HTTP): page 1,
//      a deep page and filtered pages, timed to the last byte.
//   3. CSV export of all 5M rows, with the server process's peak RSS (VmHWM).
//   4. Other tenants during an export: while one key's 5M rows stream as CSV, then NDJSON,
//      GET /api/health and another key's 1 000-row gzip ingest are sent in a loop; their p50, p99
//      and max latency.
//
// Environment: BENCH_ROWS (default 5 000 000), BENCH_PG_ROWS (default = BENCH_ROWS), BENCH_STORE
// (duckdb or postgres: one store only),
// BENCH_INGEST_SECONDS (10), BENCH_CLIENTS (4), DATABASE_URL (else scripts/pg.sh starts one),
// BENCH_CPU_PROF (a directory: V8 CPU profiles of the collector processes), BENCH_DIST (the build
// to run, default ./dist) or BENCH_DISTS (several, comma-separated, e.g. `dist,.dist-main`: each
// part runs each build in turn on the same data), BENCH_ROUNDS (1: rounds over those builds),
// BENCH_FORMATS (csv,ndjson: the stall part's export formats), BENCH_PROBE_BODY (fresh, frozen or
// fresh,frozen: the stall part's ingest probe, see stallBench), BENCH_SLOW_LOG (a file: the stall
// part's probes of 100 ms or more), BENCH_SERVER_LOG (a file: the collectors' output, see
// collector.mjs), BENCH_TRACE_GC (1: the collectors run with --trace-gc, into that log).
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Pool, request } from 'undici';
import { cpuMs, DISTS, memory, serve } from './collector.mjs';
import { withBenchDatabase } from './pg.mjs';
import { AGENTS, storeRow, wireRow } from './rows.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
if (!existsSync(join(pkg, 'dist/cli.cjs'))) {
  console.log('building @apilens/server first…');
  execFileSync('pnpm', ['--filter', '@apilens/server', 'build'], { cwd: repo, stdio: 'inherit' });
}
const { openDuckDbStore, openPostgresStore, createApiKey, parseUserAgent, hashApiKey } = await import(
  '../dist/index.mjs'
);

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const PG_ROWS = Number(process.env.BENCH_PG_ROWS ?? ROWS);
const INGEST_SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const BATCH = 1000;
/** Distinct batches sent in turn: 1.2M rows, more than 10 s at the target rate. */
const BODIES = Number(process.env.BENCH_BODIES ?? 1200);
const ONLY = process.env.BENCH_ONLY ?? ''; // 'ingest', 'data' or 'stall' to run one part
const STORE = process.env.BENCH_STORE ?? ''; // 'duckdb' or 'postgres' to run one store
/** Export formats of the stall part (BENCH_FORMATS, comma-separated). */
const FORMATS = (process.env.BENCH_FORMATS ?? 'csv,ndjson').split(',');
/** The stall part's ingest probe bodies: `fresh` (default), `frozen`, or both in turn (see stallBench). */
const PROBE_BODIES = (process.env.BENCH_PROBE_BODY ?? 'fresh').split(',');
for (const body of PROBE_BODIES) {
  if (body !== 'fresh' && body !== 'frozen') {
    console.error(
      `bench: BENCH_PROBE_BODY takes fresh, frozen or both comma-separated, got ${JSON.stringify(body)}.`,
    );
    process.exit(2);
  }
}
const SLOW_LOG = process.env.BENCH_SLOW_LOG;
/** Rounds over the builds of BENCH_DISTS (ingest and stall parts), alternating: a, b, a, b… */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
/** Each build of BENCH_DISTS, ROUNDS times in turn, with a label for the output. */
const builds = () =>
  Array.from({ length: ROUNDS }, () => DISTS)
    .flat()
    .map((dist) => ({ dist, name: relative(pkg, dist) || dist }));

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

/** A batch in the compact format of apilens SDKs (docs/wire-format.md): strings once, columns of indexes. */
function compactBody(apiKey, rows, base) {
  const strings = [null];
  const index = new Map([[null, 0]]);
  const ref = (v) => {
    let i = index.get(v);
    if (i === undefined) {
      i = strings.push(v) - 1;
      index.set(v, i);
    }
    return i;
  };
  const columns = {};
  for (const f of ['hostname', 'ip_address', 'path', 'user_agent', 'method', 'user_id', 'route']) {
    columns[f] = rows.map((r) => ref(r[f]));
  }
  columns.status = rows.map((r) => r.status);
  columns.response_time = rows.map((r) => r.response_time);
  columns.created_at = rows.map((r) => Date.parse(r.created_at) - base);
  return {
    v: 1,
    api_key: apiKey,
    framework: 'Express',
    privacy_level: 0,
    count: rows.length,
    created_at_base: base,
    strings,
    columns,
  };
}

/**
 * `format`: `rows` (the upstream row format, POST /api/log-request, what upstream clients send)
 * or `columns` (the compact format, POST /api/log-columns, what apilens SDKs send).
 */
async function ingestBench(label, storeArgs, apiKey, format = 'rows', build = builds()[0]) {
  const server = await serve(storeArgs, build.dist);
  // Pre-built gzip bodies, so the load generator does not steal the server's CPU (2 cores).
  // Times increase from batch to batch, as they do from a live API (replaying one batch over and
  // over would make every insert land in the middle of the time index).
  const base = Date.now();
  const bodies = Array.from({ length: BODIES }, (_, b) => {
    const rows = Array.from({ length: BATCH }, (_, i) => wireRow(b * BATCH + i, base + b * BATCH + i));
    const body =
      format === 'columns'
        ? compactBody(apiKey, rows, base + b * BATCH)
        : { api_key: apiKey, framework: 'Express', privacy_level: 0, requests: rows };
    return gzipSync(JSON.stringify(body), { level: 1 });
  });
  const path = format === 'columns' ? '/api/log-columns' : '/api/log-request';
  const pool = new Pool(server.url, { connections: CLIENTS, pipelining: 1 });
  let rows = 0;
  let failed = 0;
  const cpuBefore = cpuMs(server.proc.pid);
  const latencies = [];
  const started = performance.now();
  const deadline = started + INGEST_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = c; performance.now() < deadline; n += CLIENTS) {
        const t0 = performance.now();
        const res = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: bodies[n % bodies.length],
        });
        const json = await res.body.json();
        latencies.push(performance.now() - t0);
        if (res.statusCode === 200) rows += json.accepted;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuPerRow = ((cpuMs(server.proc.pid) - cpuBefore) * 1000) / rows;
  const mem = memory(server.proc.pid);
  await pool.close();
  await server.stop();
  const rate = rows / seconds;
  latencies.sort((a, b) => a - b);
  console.log(
    `ingest ${label} [${build.name}], ${format}: ${fmt(rate)} rows/s (${fmt(rows)} rows in ${seconds.toFixed(1)} s, ${CLIENTS} clients, gzip batches of ${BATCH}, ${failed} failed, batch p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, server peak RSS ${mb(mem.peak)}, server CPU ${cpuPerRow.toFixed(1)} µs per row) (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  return rate;
}

async function bulkLoad(store, keyId, total) {
  const uas = new Map(AGENTS.map((a) => [a, parseUserAgent(a)]));
  const start = Date.UTC(2026, 0, 1);
  const step = (180 * 86_400_000) / total; // spread over 180 days
  const chunk = 20_000;
  const t0 = performance.now();
  for (let from = 0; from < total; from += chunk) {
    const rows = [];
    for (let i = from; i < Math.min(total, from + chunk); i++) {
      rows.push(storeRow(i, start + Math.floor(i * step)));
    }
    await store.insertRequests(keyId, rows, uas);
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Downloads `path` whole, counting its bytes and lines. With undici's `request` and a native
 * search for line ends: the client shares the machine's two cores with the collector and
 * PostgreSQL, and `fetch`'s web stream with a loop over every byte in JavaScript used a quarter of
 * a core during a 2 GB NDJSON export (until 2026-11-28 16:30 UTC), CPU a remote client would not
 * take from the collector's machine.
 */
async function timed(url, path, apiKey) {
  const t0 = performance.now();
  const res = await request(url + path, { headers: { 'x-auth-token': apiKey } });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { ms: performance.now() - t0, bytes, lines, status: res.statusCode };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/**
 * Latency of other tenants while one key's rows stream out: /api/health and another key's
 * 1 000-row ingest, each in its own loop (one request at a time, 20 ms apart), for as long as the
 * export runs.
 */
async function stallBench(label, server, apiKey, otherKey, format, frozen = false) {
  label = `${label} [${server.build}${frozen ? ', frozen probe body' : ''}]`;
  const { url } = server;
  // The other key's batch as an SDK sends one: the requests of the last second, so that each
  // batch's times are new and later than the previous batch's. `frozen` re-sends one
  // body built up front (the method of the runs before 2026-11-28 14:00 UTC): its 1 000 times
  // stored again and again, each batch adds an entry to each of 1 000 groups of equal times in
  // PostgreSQL's time indexes, touching up to a thousand index pages where a real batch, whose
  // times come after the last ones stored, touches a few at the indexes' right edge.
  const batchBody = (t) =>
    gzipSync(
      JSON.stringify({
        api_key: otherKey,
        framework: 'Express',
        requests: Array.from({ length: BATCH }, (_, i) => wireRow(i, t + i)),
      }),
    );
  const frozenBody = batchBody(Date.now());
  const pool = new Pool(url, { connections: 2, pipelining: 1 });
  let exporting = true;
  const show = (name, t) =>
    `${name} p50 ${percentile(t, 0.5).toFixed(0)} ms, p99 ${percentile(t, 0.99).toFixed(0)} ms, max ${t.at(-1).toFixed(0)} ms (${t.length} requests, ${t.filter((x) => x >= 100).length} of them 100 ms or more)`;
  const probe = async (makeRequest) => {
    const times = [];
    while (exporting) {
      const request = makeRequest();
      const t0 = performance.now();
      const res = await pool.request(request);
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${request.path}: ${res.statusCode}`);
      const took = performance.now() - t0;
      times.push(took);
      // BENCH_SLOW_LOG: each probe of 100 ms or more with the time it started, to set beside the
      // collector's and PostgreSQL's logs.
      if (took >= 100 && SLOW_LOG) {
        appendFileSync(
          SLOW_LOG,
          `${new Date(Date.now() - took).toISOString()} ${request.path} ${took.toFixed(0)} ms\n`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return times.sort((a, b) => a - b);
  };
  const probes = () => [
    probe(() => ({ path: '/api/health', method: 'GET' })),
    probe(() => ({
      path: '/api/log-request',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: frozen ? frozenBody : batchBody(Date.now() - BATCH),
    })),
  ];
  // The same probes for 5 s without an export first: what the machine gives them anyway.
  const idle = probes();
  await new Promise((r) => setTimeout(r, 5000));
  exporting = false;
  const [h0, i0] = await Promise.all(idle);
  console.log(
    `stall ${label}: no export (5 s): ${show('health', h0)}; ${show('other key 1 000-row ingest', i0)}`,
  );
  exporting = true;
  const [health, ingest] = probes();
  const pid = server.proc.pid;
  const cpu0 = { process: cpuMs(pid), loop: cpuMs(pid, pid) };
  const r = await timed(url, `/api/data?format=${format}`, apiKey);
  exporting = false;
  const cpu1 = { process: cpuMs(pid), loop: cpuMs(pid, pid) };
  // VmHWM is the process's peak so far: each store's stall run has a fresh server.
  const rss = memory(server.proc.pid);
  const [h, i] = await Promise.all([health, ingest]);
  await pool.close();
  console.log(
    `stall ${label}: during a ${format.toUpperCase()} export of ${fmt(format === 'csv' ? r.lines - 1 : r.lines)} rows (${(r.ms / 1000).toFixed(1)} s, ${(r.bytes / 1e6).toFixed(0)} MB): ${show('health', h)}; ${show('other key 1 000-row ingest', i)}; server RSS ${mb(rss.rss)}, peak ${mb(rss.peak)}; server CPU ${((cpu1.process - cpu0.process) / 1000).toFixed(1)} s, event loop's thread ${((cpu1.loop - cpu0.loop) / 1000).toFixed(1)} s (with the probes' requests) (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
}

async function dataBench(label, storeArgs, store, total, afterLoad = async () => {}) {
  const { api_key: apiKey } = await createApiKey(store, Date.now());
  const { api_key: otherKey } = await createApiKey(store, Date.now());
  const key = await store.findKeyByHash(hashApiKey(apiKey));
  const loadSeconds = await bulkLoad(store, key.id, total);
  console.log(
    `data ${label}: bulk-loaded ${fmt(total)} rows through the store in ${loadSeconds.toFixed(1)} s (${fmt(total / loadSeconds)} rows/s)`,
  );
  await afterLoad();

  let server;
  if (ONLY === 'stall') {
    await stallBenches(label, storeArgs, apiKey, otherKey);
    return;
  }
  server = await serve(storeArgs);
  const queries = [
    ['page 1', '/api/data'],
    ['page 1 (repeat)', '/api/data'],
    ['page 60 (deep)', '/api/data?page=60'],
    ['filtered status=500 page 1', '/api/data?status=500'],
    ['filtered hostname=eu.example.com page 1', '/api/data?hostname=eu.example.com'],
    ['filtered dateFrom/dateTo (one week) page 1', '/api/data?dateFrom=2026-03-01&dateTo=2026-03-07'],
  ];
  for (const [name, path] of queries) {
    const r = await timed(server.url, path, apiKey);
    console.log(
      `data ${label}: ${name}: ${r.ms.toFixed(0)} ms (${r.status}, ${(r.bytes / 1e6).toFixed(1)} MB)`,
    );
  }
  await server.stop();

  // A fresh server process, so its peak RSS is the export's.
  server = await serve(storeArgs);
  const before = memory(server.proc.pid);
  let peak = before.peak;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, memory(server.proc.pid).peak);
    } catch {}
  }, 200);
  const r = await timed(server.url, '/api/data?format=csv', apiKey);
  clearInterval(sampler);
  peak = Math.max(peak, memory(server.proc.pid).peak);
  console.log(
    `data ${label}: CSV export of ${fmt(r.lines - 1)} rows: ${(r.ms / 1000).toFixed(1)} s (${fmt((r.lines - 1) / (r.ms / 1000))} rows/s, ${(r.bytes / 1e6).toFixed(0)} MB), server peak RSS ${mb(peak)} (at start ${mb(before.rss)})`,
  );
  await server.stop();

  await stallBenches(label, storeArgs, apiKey, otherKey);
}

/** The stall bench of each build in turn, each with a fresh server (its peak RSS is its own). */
async function stallBenches(label, storeArgs, apiKey, otherKey) {
  for (const build of builds()) {
    const server = await serve(storeArgs, build.dist);
    server.build = build.name;
    for (const format of FORMATS) {
      for (const body of PROBE_BODIES)
        await stallBench(label, server, apiKey, otherKey, format, body === 'frozen');
    }
    await server.stop();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'apilens-bench-'));
try {
  console.log(
    `apilens collector benchmark (Node ${process.version}, ${(await import('node:os')).cpus().length} cores)`,
  );

  // DuckDB (one process per file: the store is closed before the server opens it)
  if (STORE !== 'postgres' && (ONLY === '' || ONLY === 'ingest')) {
    const db = join(tmp, 'ingest.duckdb');
    const store = openDuckDbStore(db);
    await store.migrate();
    const { api_key } = await createApiKey(store, Date.now());
    await store.close();
    for (const build of builds()) {
      await ingestBench('DuckDB', ['--db', db], api_key, 'rows', build);
      await ingestBench('DuckDB', ['--db', db], api_key, 'columns', build);
    }
  }
  if (STORE !== 'postgres' && ONLY !== 'ingest') {
    const db = join(tmp, 'data.duckdb');
    const store = openDuckDbStore(db);
    await store.migrate();
    await dataBench('DuckDB', ['--db', db], store, ROWS, async () => store.close());
  }

  // PostgreSQL: a database of its own for each part, dropped after it (bench/pg.mjs).
  if (STORE !== 'duckdb' && (ONLY === '' || ONLY === 'ingest')) {
    await withBenchDatabase('ingest', async (url) => {
      const store = openPostgresStore(url);
      await store.migrate();
      const { api_key } = await createApiKey(store, Date.now());
      await store.close();
      for (const build of builds()) {
        await ingestBench('PostgreSQL', ['--database-url', url], api_key, 'rows', build);
        await ingestBench('PostgreSQL', ['--database-url', url], api_key, 'columns', build);
      }
    });
  }
  if (STORE !== 'duckdb' && ONLY !== 'ingest' && PG_ROWS > 0) {
    await withBenchDatabase('data', async (url) => {
      const store = openPostgresStore(url);
      await store.migrate();
      // Statistics and the visibility map, as autovacuum would leave them shortly after a bulk load.
      await dataBench('PostgreSQL', ['--database-url', url], store, PG_ROWS, async () => {
        // The loaded key's rollups settled (its pending batches drained, its 4 000-odd finished
        // hours folded), as the maintenance job leaves them minutes after a bulk load: otherwise
        // the first build timed shares the machine with that fold and the others do not.
        const t0 = performance.now();
        await store.drainRollups();
        const folded = await store.foldRollups(Date.now());
        console.log(
          `data PostgreSQL: rollups drained and ${folded} key(s) folded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query('VACUUM ANALYZE');
        await c.end();
      });
      await store.close();
    });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
