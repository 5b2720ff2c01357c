// Data API pages on PostgreSQL at scale, for docs/benchmarks.md: `node bench/pages.mjs` in
// packages/server (after `pnpm build`).
//
// Seeds one key with BENCH_MAIN_ROWS requests (default 5 000 000) over 180 days (bench/seed.mjs,
// COPY, VACUUM ANALYZE after), then times, against the built `apilens serve`, page 1, the deepest
// pages and filtered pages of GET /api/data (50 000 rows a page), each BENCH_RUNS times (3),
// reporting the median and the slowest, timed to the last byte.
//
// Environment: BENCH_MAIN_ROWS, BENCH_RUNS, DATABASE_URL (else scripts/pg.sh starts one),
// BENCH_DIST (another build to run, e.g. main's packages/server/dist, for a comparison).
import { serve } from './collector.mjs';
import { withBenchDatabase } from './pg.mjs';
import { seed } from './seed.mjs';

const ROWS = Number(process.env.BENCH_MAIN_ROWS ?? 5_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PAGE = 50_000;

async function timed(url, path, apiKey) {
  const t0 = performance.now();
  const res = await fetch(url + path, { headers: { 'x-auth-token': apiKey } });
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return { ms: performance.now() - t0, bytes };
}

await withBenchDatabase('pages', async (url) => {
  let server;
  try {
    const { keys, seconds } = await seed({
      store: 'postgres',
      target: url,
      mainRows: ROWS,
      otherRows: 0,
    });
    console.log(
      `seeded ${ROWS} rows in ${seconds.toFixed(0)} s; load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
    );
    const apiKey = keys[0].apiKey;
    server = await serve(['--database-url', url]);
    const last = Math.ceil(ROWS / PAGE);
    const cases = [
      ['page 1', '/api/data'],
      [`page ${Math.round(last / 2)} (middle)`, `/api/data?page=${Math.round(last / 2)}`],
      [`page ${last - 1}`, `/api/data?page=${last - 1}`],
      [`page ${last} (last)`, `/api/data?page=${last}`],
      ['status=500 page 1', '/api/data?status=500'],
    ];
    for (const [name, path] of cases) {
      const runs = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await timed(server.url, path, apiKey);
        runs.push(r.ms);
        bytes = r.bytes;
      }
      runs.sort((a, b) => a - b);
      console.log(
        `${name}: median ${runs[Math.floor(runs.length / 2)].toFixed(0)} ms, slowest ${runs.at(-1).toFixed(0)} ms (${(bytes / 1e6).toFixed(1)} MB); load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
      );
    }
  } finally {
    await server?.stop();
  }
});
