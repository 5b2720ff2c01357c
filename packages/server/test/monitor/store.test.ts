import pg from 'pg';
import { openPostgresStore } from '../../src/index.js';
import { POSTGRES_MONITOR_TABLES, postgresMonitors } from '../../src/store/postgres-monitors.js';
import { createTestDatabase } from '../helpers.js';
import { describeMonitorStore } from './store-conformance.js';

// TEMPORARY (phase 1): the monitoring methods beside the store until the stores include them.
async function pgMonitors(url: string) {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    types: {
      getTypeParser: (oid: number, f?: any) => (oid === 20 ? Number : pg.types.getTypeParser(oid, f)),
    },
  });
  const tx = async <T>(fn: (c: pg.PoolClient) => Promise<T>) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  };
  return { pool, monitors: postgresMonitors(pool, tx) };
}

describeMonitorStore('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const base = openPostgresStore(db.url);
  await base.migrate();
  const a = await pgMonitors(db.url);
  await a.pool.query(POSTGRES_MONITOR_TABLES);
  const b = await pgMonitors(db.url);
  return {
    store: Object.assign(Object.create(base), base, a.monitors),
    second: Object.assign(Object.create(base), base, b.monitors),
    async cleanup() {
      await a.pool.end();
      await b.pool.end();
      await base.close();
      await db.drop();
    },
  };
});
