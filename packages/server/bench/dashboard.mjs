// Dashboard API benchmark: `pnpm bench:dashboard` (root) or `pnpm --filter @apilens/server bench:dashboard`.
//
// Seeds one key with 5 M requests over 180 days beside 5 M of other keys (bench/seed.mjs), starts
// the built `apilens serve` on it in a child process, and times GET /api/dashboard/<id> over HTTP,
// BENCH_RUNS times (20) each: every period, and 30 days with one, two and three filters.
//
// - cold: one request is ingested for the key before each run, so the server computes the
//   figures from the rows every time (what a live API's dashboard sees);
// - warm: the same request again with no ingest in between, answered from the response cache
//   (DuckDB only: PostgreSQL has no cache, several collectors may write to it).
//
// Reports median and p95 per case, and the collector's peak RSS over the whole run (VmHWM).
// Environment: BENCH_MAIN_ROWS, BENCH_OTHER_ROWS, BENCH_DAYS (see seed.mjs), BENCH_RUNS (20),
// BENCH_PG_RUNS (BENCH_RUNS), BENCH_PG_MAIN_ROWS (comma-separated sizes of the main key on
// PostgreSQL, each seeded into a database of its own and timed in turn, e.g. `5000000,20000000`
// for the rollups' growth with rows; default BENCH_MAIN_ROWS), BENCH_ONLY (duckdb | postgres),
// DATABASE_URL (else scripts/pg.sh starts a PostgreSQL), BENCH_DUCKDB_FILE (a DuckDB file seeded
// once and kept).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memory, serve } from './collector.mjs';
import { withBenchDatabase } from './pg.mjs';
import { seed } from './seed.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
if (!existsSync(join(pkg, 'dist/cli.cjs'))) {
  console.log('building @apilens/server first…');
  execFileSync('pnpm', ['--filter', '@apilens/server', 'build'], { cwd: repo, stdio: 'inherit' });
}

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const PG_RUNS = Number(process.env.BENCH_PG_RUNS ?? RUNS);
const PG_SIZES = (process.env.BENCH_PG_MAIN_ROWS ?? process.env.BENCH_MAIN_ROWS ?? '5000000')
  .split(',')
  .map(Number);
const ONLY = process.env.BENCH_ONLY ?? '';
const CASES = [
  ['24 h', 'period=24h'],
  ['7 days', 'period=7d'],
  ['30 days', 'period=30d'],
  ['6 months', 'period=6m'],
  ['1 year', 'period=1y'],
  ['all time', 'period=all'],
  ['30 days, 1 filter', 'period=30d&endpoint=%2Fv1%2Fproducts%2F%3Asku'],
  ['30 days, 2 filters', 'period=30d&endpoint=%2Fv1%2Fproducts%2F%3Asku&statusClass=2xx'],
  ['30 days, 3 filters', 'period=30d&endpoint=%2Fv1%2Fproducts%2F%3Asku&statusClass=2xx&country=US'],
];

const quantile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

async function timeCases(label, server, key, { warm, runs }) {
  const results = [];
  let n = 0;
  const touch = async () => {
    // One row now, so every cached response of the key is stale.
    const res = await fetch(`${server.url}/api/log-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: key.apiKey,
        framework: 'Express',
        requests: [
          {
            path: '/bench',
            method: 'GET',
            status: 200,
            response_time: 1,
            created_at: new Date().toISOString(),
            ip_address: '10.0.0.1',
            user_id: `bench-${n++}`,
          },
        ],
      }),
    });
    if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  };
  const get = async (query) => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/dashboard/${key.dashboardId}?${query}`);
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`dashboard ${query}: ${res.status} ${body.slice(0, 300)}`);
    return { ms, body };
  };
  for (const [name, query] of CASES) {
    const cold = [];
    let requests = 0;
    for (let i = 0; i < runs; i++) {
      await touch();
      const r = await get(query);
      cold.push(r.ms);
      requests = JSON.parse(r.body).totals.requests;
    }
    const hot = [];
    if (warm) {
      await get(query);
      for (let i = 0; i < runs; i++) hot.push((await get(query)).ms);
    }
    cold.sort((a, b) => a - b);
    hot.sort((a, b) => a - b);
    const row = {
      name,
      requests,
      cold: [quantile(cold, 0.5), quantile(cold, 0.95)],
      warm: warm ? [quantile(hot, 0.5), quantile(hot, 0.95)] : null,
    };
    results.push(row);
    console.log(
      `${label}: ${name.padEnd(20)} ${String(requests).padStart(9)} rows  cold median ${row.cold[0].toFixed(0)} ms, p95 ${row.cold[1].toFixed(0)} ms` +
        (row.warm ? `  warm median ${row.warm[0].toFixed(1)} ms, p95 ${row.warm[1].toFixed(1)} ms` : ''),
    );
  }
  return results;
}

async function run(label, kind, target, serverArgs, mainRows, keep = false) {
  const keysFile = `${target}.keys.json`;
  let keys;
  if (keep && existsSync(target) && existsSync(keysFile)) {
    keys = JSON.parse(readFileSync(keysFile, 'utf8'));
    console.log(`${label}: using ${target}, seeded earlier`);
  } else {
    const seeded = await seed({
      store: kind,
      target,
      mainRows,
      log: (line) => (line.startsWith('built') ? console.log(`${label}: ${line}`) : undefined),
    });
    keys = seeded.keys;
    if (keep) writeFileSync(keysFile, JSON.stringify(keys));
    console.log(
      `${label}: seeded ${seeded.rows.toLocaleString('en-US')} rows in ${seeded.seconds.toFixed(0)} s`,
    );
  }
  const server = await serve(serverArgs);
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, memory(server.proc.pid).peak);
    } catch {}
  }, 200);
  try {
    const duck = kind === 'duckdb';
    const results = await timeCases(label, server, keys[0], { warm: duck, runs: duck ? RUNS : PG_RUNS });
    peak = Math.max(peak, memory(server.proc.pid).peak);
    console.log(`${label}: collector peak RSS ${(peak / 1024).toFixed(0)} MB`);
    return { results, peakMb: peak / 1024 };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'apilens-bench-dashboard-'));
const all = {};
try {
  console.log(
    `apilens dashboard benchmark (Node ${process.version}, ${(await import('node:os')).cpus().length} cores, ${RUNS} runs per case, ${PG_RUNS} on PostgreSQL)`,
  );
  if (ONLY !== 'postgres') {
    // BENCH_DUCKDB_FILE: seed that file once and keep it (with its keys in <file>.keys.json) for
    // later runs and for bench/dashboard-page.mjs.
    const kept = process.env.BENCH_DUCKDB_FILE;
    const file = kept || join(tmp, 'bench.duckdb');
    const mainRows = Number(process.env.BENCH_MAIN_ROWS ?? 5_000_000);
    all.duckdb = await run('DuckDB', 'duckdb', file, ['--db', file], mainRows, Boolean(kept));
  }
  if (ONLY !== 'duckdb') {
    for (const size of PG_SIZES) {
      const label = PG_SIZES.length > 1 ? `PostgreSQL ${size / 1e6} M` : 'PostgreSQL';
      all[label] = await withBenchDatabase('dashboard', (url) =>
        run(label, 'postgres', url, ['--database-url', url], size),
      );
    }
  }
  // The table for docs/benchmarks.md: medians (p95) in ms.
  const fmt = ([m, p]) => `${m.toFixed(0)} (${p.toFixed(0)})`;
  const pgLabels = Object.keys(all).filter((k) => k.startsWith('PostgreSQL'));
  const cases = (all.duckdb ?? all[pgLabels[0]]).results.map((r) => r.name);
  console.log(`\n| case | rows | DuckDB cold | DuckDB warm | ${pgLabels.join(' | ')} |`);
  console.log(`| --- | --- | --- | --- |${pgLabels.map(() => ' --- |').join('')}`);
  cases.forEach((name, i) => {
    const d = all.duckdb?.results[i];
    const ps = pgLabels.map((k) => all[k].results[i]);
    const rows = [d, ...ps].filter(Boolean).map((r) => r.requests.toLocaleString('en-US'));
    console.log(
      `| ${name} | ${[...new Set(rows)].join(' / ')} | ${d ? fmt(d.cold) : '—'} | ${d?.warm ? fmt(d.warm) : '—'} | ${ps.map((p) => fmt(p.cold)).join(' | ')} |`,
    );
  });
  console.log(
    `| collector peak RSS | | ${all.duckdb ? `${all.duckdb.peakMb.toFixed(0)} MB` : '—'} | | ${pgLabels.map((k) => `${all[k].peakMb.toFixed(0)} MB`).join(' | ')} |`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
