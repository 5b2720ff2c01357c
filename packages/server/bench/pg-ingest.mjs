// PostgreSQL ingest through the store alone: `node bench/pg-ingest.mjs` (packages/server).
//
// Inserts 1 000-row batches shaped like `bench:server`'s (40 routes, 250 response times, ~340
// users per batch: about 1 900 hour-rollup rows per batch) into a fresh database, after warm-up
// batches, and prints per batch: wall time (sequential, then CONCURRENCY at a time), the
// benchmark process's CPU (the store's JavaScript and the driver) and the PostgreSQL server's CPU
// (every process of the cluster, from /proc), which stay steady on a loaded machine where wall
// times do not.
//
// Environment: BENCH_DIST (build directories inside packages/server, comma-separated, default
// `dist`: with several, each has its own store and key in the same database, and the builds take
// turns round by round, so that an A/B sees the same machine), DATABASE_URL (else scripts/pg.sh
// starts a cluster; its processes are the ones measured), BENCH_BATCHES (160), BENCH_WARMUP (40),
// BENCH_CONCURRENCY (4), BENCH_ROUNDS (3), BENCH_READS (`plain` or `background`, or one per
// build, comma-separated, a build listed twice for both: during every
// measured run, two loops of CPU-bound reads through `store.select`, each a stand-in for an
// export step's backend work, plain or marked `{ background: true }`; builds without the option
// ignore it).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withBenchDatabase } from './pg.mjs';
import { AGENTS, storeRow } from './rows.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const DISTS = (process.env.BENCH_DIST ?? 'dist').split(',');
const builds = await Promise.all(DISTS.map((d) => import(join(pkg, d, 'index.mjs'))));

const BATCHES = Number(process.env.BENCH_BATCHES ?? 160);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 40);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 1000;
const READS_OF = (process.env.BENCH_READS ?? '').split(',');
/** About an export step's work in its backend (5 000 rows formatted): tens of ms of CPU. */
const READ_SQL = "SELECT length(string_agg(md5(g::text), '')) FROM generate_series(1, 20000) g";

/**
 * CPU (ms, user + system) of the PostgreSQL cluster whose postmaster is `pid`: its processes
 * alive now, and through the postmaster's children times those that exited (autovacuum workers).
 */
function clusterCpuMs(pid) {
  let total = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // ppid is field 4; utime, stime, cutime and cstime 14 to 17 (stat(5)), in ticks of 10 ms.
      if (p === String(pid)) total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
      else if (f[1] === String(pid)) total += (Number(f[11]) + Number(f[12])) * 10;
    } catch {}
  }
  return total;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(url, dir) {
  const postmaster = dir ? Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]) : null;
  const stores = [];
  try {
    const base = Date.now();
    let next = 0;
    for (const [i, build] of builds.entries()) {
      const store = build.openPostgresStore(url);
      stores.push(store);
      // One migration: the builds must share a schema version (an A/B of the same schema).
      if (i === 0) await store.migrate();
      const { api_key } = await build.createApiKey(store, Date.now());
      const key = await store.findKeyByHash(build.hashApiKey(api_key));
      const uas = new Map(AGENTS.map((a) => [a, build.parseUserAgent(a)]));
      // Times move forward batch by batch within the current hour, as from a live API.
      const batch = () => {
        const b = next++;
        return Array.from({ length: BATCH }, (_, i) => storeRow(b * BATCH + i, base + b * 10 + (i % 10)));
      };
      store.insert = () => store.insertRequests(key.id, batch(), uas);
    }
    const run = async (store, n, concurrency, READS = '') => {
      let reading = READS !== '';
      let reads = 0;
      const readers = Array.from({ length: reading ? 2 : 0 }, async () => {
        while (reading) {
          await store.select(READ_SQL, [], READS === 'background' ? { background: true } : undefined);
          reads++;
        }
      });
      const times = [];
      const cpu0 = cpuNow();
      const pg0 = postmaster ? clusterCpuMs(postmaster) : 0;
      const t0 = performance.now();
      let left = n;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left-- > 0) {
            const s = performance.now();
            await store.insert();
            times.push(performance.now() - s);
          }
        }),
      );
      const wall = performance.now() - t0;
      reading = false;
      await Promise.all(readers);
      return {
        wall,
        reads,
        times,
        cpu: cpuNow() - cpu0,
        pg: postmaster ? clusterCpuMs(postmaster) - pg0 : Number.NaN,
      };
    };
    for (const store of stores) await run(store, WARMUP, CONCURRENCY);
    const sums = DISTS.map(() =>
      [1, CONCURRENCY].map(() => ({ wall: 0, times: [], cpu: 0, pg: 0, n: 0, reads: 0 })),
    );
    for (let r = 0; r < ROUNDS; r++) {
      for (const [b, store] of stores.entries()) {
        for (const [j, c] of [1, CONCURRENCY].entries()) {
          const s = await run(store, BATCHES, c, READS_OF[b] ?? READS_OF[0]);
          const sum = sums[b][j];
          sum.wall += s.wall;
          sum.times.push(...s.times);
          sum.cpu += s.cpu;
          sum.pg += s.pg;
          sum.reads += s.reads;
          sum.n += BATCHES;
        }
      }
    }
    for (const [b, dist] of DISTS.entries()) {
      const READS = READS_OF[b] ?? READS_OF[0];
      for (const [j, c] of [1, CONCURRENCY].entries()) {
        const s = sums[b][j];
        s.times.sort((x, y) => x - y);
        const q = (p) => s.times[Math.min(s.n - 1, Math.floor(s.n * p))].toFixed(1);
        console.log(
          `pg-ingest ${dist}, ${c} at a time: ${(s.wall / s.n).toFixed(1)} ms per batch (latency p50 ${q(0.5)}, p99 ${q(0.99)} ms), CPU per batch: this process ${(s.cpu / s.n).toFixed(1)} ms, PostgreSQL ${(s.pg / s.n).toFixed(1)} ms (${s.n} batches in ${ROUNDS} rounds${READS ? `; ${READS} reads beside: ${((s.reads * 1000) / s.wall).toFixed(1)}/s` : ''})`,
        );
      }
    }
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    for (const store of stores) await store.close();
  }
}

await withBenchDatabase('pg_ingest', main);
