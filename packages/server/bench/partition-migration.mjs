// Time of migration 3 (monthly partitions) on an existing PostgreSQL table, for docs/scaling.md:
// `BENCH_DIST=<a build without migration 3>/dist node bench/partition-migration.mjs` in
// packages/server (after `pnpm build`).
//
// Seeds BENCH_MAIN_ROWS requests (default 5 000 000) over 180 days with the build in BENCH_DIST
// (the schema before partitions, e.g. main's packages/server/dist from before this change), then
// opens the database with this package's build and times `migrate()`, which converts the table.
//
// Environment: BENCH_DIST (required), BENCH_MAIN_ROWS, DATABASE_URL (else scripts/pg.sh starts one).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seed } from './seed.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
const ROWS = Number(process.env.BENCH_MAIN_ROWS ?? 5_000_000);
if (!process.env.BENCH_DIST) throw new Error('set BENCH_DIST to the dist folder of a build without migration 3');

let pgDir;
let url = process.env.DATABASE_URL;
if (!url) {
  const out = execFileSync('sh', [join(repo, 'scripts/pg.sh'), 'start'], { encoding: 'utf8' }).trim().split('\n');
  pgDir = out.at(-2);
  url = out.at(-1);
}
const pg = (await import('pg')).default;
const dbName = `apilens_bench_migration_${process.pid}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const u = new URL(url);
u.pathname = `/${dbName}`;
try {
  await seed({ store: 'postgres', target: u.toString(), mainRows: ROWS, otherRows: 0 });
  const { openPostgresStore } = await import('../dist/index.mjs');
  const store = openPostgresStore(u.toString());
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
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  if (pgDir) execFileSync('sh', [join(repo, 'scripts/pg.sh'), 'stop', pgDir]);
}
