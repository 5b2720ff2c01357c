// Time of migration 3 (monthly partitions) on an existing PostgreSQL table, for docs/scaling.md:
// `BENCH_DIST=<a build without migration 3>/dist node bench/partition-migration.mjs` in
// packages/server (after `pnpm build`).
//
// Seeds BENCH_MAIN_ROWS requests (default 5 000 000) over 180 days with the build in BENCH_DIST
// (the schema before partitions, e.g. main's packages/server/dist from before this change), then
// opens the database with this package's build and times `migrate()`, which converts the table.
//
// Environment: BENCH_DIST (required), BENCH_MAIN_ROWS, DATABASE_URL (else scripts/pg.sh starts one).
import { withBenchDatabase } from './pg.mjs';
import { seed } from './seed.mjs';

const ROWS = Number(process.env.BENCH_MAIN_ROWS ?? 5_000_000);
if (!process.env.BENCH_DIST)
  throw new Error('set BENCH_DIST to the dist folder of a build without migration 3');

await withBenchDatabase('migration', async (url) => {
  await seed({ store: 'postgres', target: url, mainRows: ROWS, otherRows: 0 });
  const { openPostgresStore } = await import('../dist/index.mjs');
  const store = openPostgresStore(url);
  const from = await store.schemaVersion();
  const t0 = performance.now();
  const applied = await store.migrate();
  const seconds = (performance.now() - t0) / 1000;
  const rows = await store.countRequests();
  await store.close();
  const os = await import('node:os');
  console.log(
    `migration ${from} → ${from + applied}: ${seconds.toFixed(1)} s for ${rows} rows (load ${os.loadavg()[0].toFixed(1)})`,
  );
});
