// PostgreSQL's requests table partitioned by month (migration 3): an existing table is converted
// with its rows, ids and order intact; rows of any date find a place; the coming months are
// created ahead, also by two processes at once; the age retention drops whole months. Expected
// partitions and rows are computed here from the rows the test wrote (UTC months in TypeScript),
// not read from the code under test.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type Store } from '../src/index.js';
import { POSTGRES_MIGRATIONS } from '../src/store/migrations.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';
import { row } from './store-conformance.js';

/** A row of no user agent (none to register) created at `createdAt`. */
const newRow = (createdAt: number) => row({ userAgent: null, path: `/new/${createdAt}`, createdAt });

/** `requests_YYYYMM` of the UTC month of `ms`. */
const monthOf = (ms: number) => {
  const d = new Date(ms);
  return `requests_${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};
/** This UTC month and the next two, as the collector prepares them. */
const comingMonths = (now: number) => {
  const d = new Date(now);
  return [0, 1, 2].map((k) => monthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1)));
};

async function partitions(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'requests'::regclass ORDER BY 1`,
  );
  return r.rows.map((row) => row.name);
}

const ROW = `id, key_id, created_at, hostname, ip_address, path, route, user_agent_id, method, status,
  response_time, location, user_id, framework`;

describe('PostgreSQL: requests partitioned by month', () => {
  let db: TestDatabase;
  let c: pg.Client;
  let store: Store;
  let keyId: number;
  /** The rows written before the migration, as the old table held them (ordered by id). */
  let before: unknown[][];
  let times: number[];

  beforeAll(async () => {
    db = await createTestDatabase();
    c = new pg.Client({ connectionString: db.url });
    await c.connect();
    // The schema as released before partitions: migrations 1 and 2 only.
    await c.query(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= 2)) {
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    keyId = (
      await c.query<{ id: number }>(
        `INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES ('h', 'd', 0, 0) RETURNING id`,
      )
    ).rows[0]!.id;
    // 3 000 rows over 2024–2026 in a shuffled order (ids do not follow time), month boundaries to
    // the millisecond, and one row of 1999.
    times = [Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), Date.UTC(2025, 6, 1) - 1];
    for (let i = 0; i < 3000; i++)
      times.push(Date.UTC(2024, 0, 1) + ((i * 7_919_377_411) % (3 * 365 * 86_400_000)));
    await c.query(
      `INSERT INTO requests (key_id, created_at, path, method, status, response_time)
       SELECT $1, t, '/p/' || t, 'GET', 200, 1 FROM unnest($2::bigint[]) AS t`,
      [keyId, times],
    );
    before = (await c.query({ text: `SELECT ${ROW} FROM requests ORDER BY id`, rowMode: 'array' })).rows;
    store = openPostgresStore(db.url);
    // 3 (partitions), 4 (the dashboard rollups) and 5 (their pending queue).
    expect(await store.migrate()).toBe(3);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await c?.end();
    await db?.drop();
  });

  it('converts the table: every row kept as it was, each in the partition of its month, none in the default', async () => {
    const kind = await c.query(`SELECT relkind FROM pg_class WHERE relname = 'requests'`);
    expect(kind.rows[0].relkind).toBe('p');
    const after = (await c.query({ text: `SELECT ${ROW} FROM requests ORDER BY id`, rowMode: 'array' })).rows;
    expect(after).toEqual(before);
    const expected = new Set([...times.map(monthOf), ...comingMonths(Date.now())]);
    expect(await partitions(c)).toEqual([...expected, 'requests_default'].sort());
    const placed = await c.query<{ part: string; created_at: number }>(
      'SELECT tableoid::regclass::text AS part, created_at FROM requests',
    );
    const misplaced = placed.rows.filter((r) => r.part !== monthOf(Number(r.created_at)));
    expect(misplaced).toEqual([]);
  });

  it('keeps keyset pages in (created_at, id) order across months, and numbering new rows after the old', async () => {
    const sorted = before
      .map((r) => ({ createdAt: Number(r[2]), id: Number(r[0]) }))
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    const read: Array<{ createdAt: number; id: number }> = [];
    let after: { createdAt: number; id: number } | undefined;
    for (;;) {
      const page = await store.queryRequests(keyId, { limit: 700, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      for (const r of page) read.push({ createdAt: Number(r.created_at), id: r.id });
      after = read.at(-1);
    }
    expect(read).toEqual(sorted);
    const maxOld = Math.max(...sorted.map((r) => r.id));
    await store.insertRequests(keyId, [newRow(Date.now())], new Map());
    const fresh = await c.query('SELECT max(id)::bigint AS id FROM requests');
    expect(Number(fresh.rows[0].id)).toBe(maxOld + 1);
  });

  it('stores a row of a month without a partition in the default one; making the month moves it there', async () => {
    const at = Date.UTC(1987, 4, 5, 6, 7, 8, 9);
    await store.insertRequests(keyId, [newRow(at), newRow(Date.UTC(1987, 5, 1))], new Map());
    const inDefault = await c.query('SELECT created_at FROM requests_default ORDER BY 1');
    expect(inDefault.rows.map((r) => Number(r.created_at))).toEqual([at, Date.UTC(1987, 5, 1)]);
    // Two collector processes preparing the same months at once: both succeed, one partition each.
    const other = openPostgresStore(db.url);
    try {
      await Promise.all([store.prepareMonths!(at), other.prepareMonths!(at)]);
    } finally {
      await other.close();
    }
    expect(await partitions(c)).toEqual(
      expect.arrayContaining(['requests_198705', 'requests_198706', 'requests_198707']),
    );
    const moved = await c.query(
      'SELECT tableoid::regclass::text AS part, created_at FROM requests WHERE created_at < 600000000000 ORDER BY 2',
    );
    expect(moved.rows.map((r) => r.part)).toEqual(['requests_198705', 'requests_198706']);
    expect((await c.query('SELECT count(*)::int AS n FROM requests_default')).rows[0].n).toBe(0);
  });

  it('age retention drops the months before the cutoff whole and deletes the older rows of its month', async () => {
    const all = (await c.query<{ t: string }>('SELECT created_at AS t FROM requests')).rows.map((r) =>
      Number(r.t),
    );
    const cutoff = Date.UTC(2025, 6, 15, 12);
    const partsBefore = await partitions(c);
    expect(await store.deleteRequestsBefore!(cutoff)).toBe(all.filter((t) => t < cutoff).length);
    const left = (await c.query<{ t: string }>('SELECT created_at AS t FROM requests ORDER BY 1')).rows.map(
      (r) => Number(r.t),
    );
    expect(left).toEqual(all.filter((t) => t >= cutoff).sort((a, b) => a - b));
    // Months ending by the cutoff are gone as tables; July 2025 (straddling) and later remain.
    const gone = partsBefore.filter((p) => p !== 'requests_default' && p < 'requests_202507');
    expect(gone.length).toBeGreaterThan(10);
    expect(await partitions(c)).toEqual(partsBefore.filter((p) => !gone.includes(p)));
  });
});
