// Disk per million requests, for docs/scaling.md: `node bench/disk.mjs` in packages/server.
//
// Seeds BENCH_MAIN_ROWS requests (default 1 000 000) over 180 days with bench/seed.mjs's
// realistic shapes into a fresh DuckDB file and a fresh PostgreSQL database, then reports the
// DuckDB file after a clean close, and PostgreSQL's requests table with its indexes (and the
// whole database) after VACUUM ANALYZE.
//
// Environment: BENCH_MAIN_ROWS, DATABASE_URL (else scripts/pg.sh starts one).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBenchDatabase } from './pg.mjs';
import { seed } from './seed.mjs';

const ROWS = Number(process.env.BENCH_MAIN_ROWS ?? 1_000_000);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const perMillion = (bytes) => mb((bytes / ROWS) * 1_000_000);

const tmp = mkdtempSync(join(tmpdir(), 'apilens-disk-'));
try {
  const file = join(tmp, 'disk.duckdb');
  await seed({ store: 'duckdb', target: file, mainRows: ROWS, otherRows: 0 });
  const duck = statSync(file).size;
  console.log(`DuckDB: file ${mb(duck)} for ${ROWS} rows, ${perMillion(duck)} per million`);

  await withBenchDatabase('disk', async (url) => {
    await seed({ store: 'postgres', target: url, mainRows: ROWS, otherRows: 0 });
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('VACUUM ANALYZE requests');
    const r = await c.query(`SELECT pg_relation_size('requests')::float8 AS heap,
      pg_indexes_size('requests')::float8 AS indexes, pg_database_size(current_database())::float8 AS db`);
    await c.end();
    const { heap, indexes, db } = r.rows[0];
    console.log(
      `PostgreSQL: requests ${mb(heap)} + indexes ${mb(indexes)} = ${perMillion(heap + indexes)} per million; database ${mb(db)}`,
    );
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
