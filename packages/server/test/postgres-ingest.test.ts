// PostgreSQL ingest in one statement and reads on a pool of their own: the hour rows the
// collector counts itself (totals, response times, dimensions) equal what PostgreSQL counts from
// the stored rows, hostile values included; a batch with rows before the key's fold watermark
// takes the transaction and is still stored once per batch id; reads (the dashboard, exports)
// cannot take ingest's connections; and a background read gives way to a batch in flight, for
// a bounded time.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION_PATTERN } from '../src/dashboard/sql.js';
import { type NewRequestRow, openPostgresStore, type Store, type UserAgentInfo } from '../src/index.js';
import { prng } from './dashboard-brute-force.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 28, 8, 0, 0);
const UAS = new Map<string, UserAgentInfo>([
  ['ua one', { browser: 'A', os: null, device: null }],
  ['ua "two", with = and spaces', { browser: 'B', os: 'X', device: 'desktop' }],
]);

/** Rows whose text is what breaks naive counting: spaces, `=`, unicode, NULLs, version soup. */
function hostileRows(n: number, seed: number, from: number, to: number): NewRequestRow[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const paths = [
    '/v1/a',
    '/v12/',
    'v3/x',
    '/av1/b',
    '/v1x/c',
    '/x/v2',
    '/v/1',
    '/ v1 /',
    '/é/v9/ü',
    '/v0007/z',
    '/',
  ];
  return Array.from({ length: n }, () => ({
    createdAt: from + Math.floor(r() * (to - from)),
    hostname: pick(['a.example', 'has space', '=eq', '', 'ünï', null]),
    ipAddress: pick(['10.0.0.1', '::1', null]),
    path: pick(paths) + (r() < 0.3 ? `/${Math.floor(r() * 9)}` : ''),
    route: r() < 0.5 ? null : pick(['/v1/:id', '/x']),
    userAgent: pick([...UAS.keys(), null]),
    method: pick(['GET', 'POST']),
    status: pick([200, 204, 399, 400, 404, 500]),
    responseTime: Math.floor(r() ** 2 * 400),
    location: pick(['US', 'DE', null]),
    userId: r() < 0.4 ? `u ${Math.floor(r() * 30)}` : null,
    framework: 'Express',
  }));
}

let db: TestDatabase;
let client: pg.Client;
const sorted = (rows: unknown[][]) => rows.map((r) => r.map(String).join('|')).sort();

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('PostgreSQL ingest: the hour rows the collector counts', () => {
  let store: Store;
  let id: number;
  /** A table's hour rows summed over shards, as `bucket|…|n` lines. */
  const hours = async (table: string, cols: string) =>
    sorted(
      (
        await client.query({
          text: `SELECT bucket, ${cols}, sum(n)${table === 'rollup_totals' ? ', sum(ok)' : ''} FROM ${table}
            WHERE key_id = $1 AND grain = 0 GROUP BY bucket${cols ? `, ${cols}` : ''}`.replace(', ,', ','),
          values: [id],
          rowMode: 'array',
        })
      ).rows,
    );
  /** The same counted by PostgreSQL from the stored rows, with its own regular expression. */
  const fromRows = async (select: string, group: string) =>
    sorted(
      (
        await client.query({
          text: `SELECT ${select} FROM requests r ${group}`,
          values: [id],
          rowMode: 'array',
        })
      ).rows,
    );

  beforeAll(async () => {
    store = openPostgresStore(db.url);
    await store.migrate();
    id = (await store.createKey({ keyHash: 'c', dashboardId: 'c', createdAt: 0 })).id;
    // Concurrent batches over a few hours (several buckets per batch, hour edges included).
    const batches = [0, 1, 2, 3, 4, 5].map((s) => hostileRows(400, s + 1, NOW - 3 * HOUR, NOW + HOUR));
    batches.push(hostileRows(50, 9, NOW, NOW + 1).map((row) => ({ ...row, createdAt: NOW })));
    await Promise.all(batches.map((rows) => store.insertRequests(id, rows, UAS)));
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it('totals and successes per hour', async () => {
    const expected = await fromRows(
      '(created_at / 3600000)::INT, count(*), count(*) FILTER (WHERE status < 400)',
      'WHERE key_id = $1 GROUP BY 1',
    );
    expect(expected).toHaveLength(4);
    expect(await hours('rollup_totals', '')).toEqual(expected);
  });

  it('requests per hour and response time', async () => {
    expect(await hours('rollup_times', 'response_time')).toEqual(
      await fromRows(
        '(created_at / 3600000)::INT, response_time, count(*)',
        'WHERE key_id = $1 GROUP BY 1, 2',
      ),
    );
  });

  it('requests per hour and hostname, version, user agent and country (NULL and text kept apart)', async () => {
    const expected = await fromRows(
      '(r.created_at / 3600000)::INT, d.dim, d.value, count(*)',
      `CROSS JOIN LATERAL (VALUES (0, coalesce('=' || r.hostname, '')),
        (1, coalesce('=' || substring(r.path from '${VERSION_PATTERN}'), '')),
        (2, coalesce('=' || r.user_agent_id::TEXT, '')), (3, coalesce('=' || r.location, ''))) d(dim, value)
       WHERE r.key_id = $1 GROUP BY 1, 2, 3`,
    );
    // The hostile paths hold versions and near-versions, and '' is a hostname apart from NULL.
    expect(expected.filter((l) => /\|1\|=v\d+\|/.test(l)).length).toBeGreaterThan(5);
    expect(expected.some((l) => /\|0\|=\|/.test(l)) && expected.some((l) => /\|0\|\|/.test(l))).toBe(true);
    expect(await hours('rollup_dims', 'dim, value')).toEqual(expected);
  });
});

describe('PostgreSQL ingest: rows before the fold watermark, with a batch id', () => {
  it('take the transaction that writes every grain, and a retry is stored once', async () => {
    const store = openPostgresStore(db.url);
    try {
      const id = (await store.createKey({ keyHash: 'w', dashboardId: 'w', createdAt: 0 })).id;
      await store.insertRequests(id, hostileRows(100, 20, NOW - 2 * HOUR, NOW), UAS);
      expect(await store.foldRollups!(NOW + HOUR)).toBeGreaterThanOrEqual(1);
      const late = hostileRows(80, 21, NOW - 5 * HOUR, NOW + 2 * HOUR);
      const attempts = await Promise.all([
        store.insertRequests(id, late, UAS, 'late-1'),
        store.insertRequests(id, late, UAS, 'late-1'),
      ]);
      expect(attempts).toEqual([80, 80]);
      expect(await store.insertRequests(id, late, UAS, 'late-1')).toBe(80);
      expect(await store.countRequests(id)).toBe(180);
      const grains = await client.query(
        'SELECT grain, sum(n)::INT AS n FROM rollup_totals WHERE key_id = $1 GROUP BY grain ORDER BY grain',
        [id],
      );
      const w = Number(
        (await client.query('SELECT rollups_folded_to FROM keys WHERE id = $1', [id])).rows[0]
          .rollups_folded_to,
      );
      const before = 100 + late.filter((r) => r.createdAt < w).length;
      // Hours: every row; days and the whole key: the rows before the watermark.
      expect(grains.rows).toEqual([
        { grain: 0, n: 180 },
        { grain: 1, n: before },
        { grain: 2, n: before },
        { grain: 3, n: before },
      ]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('PostgreSQL reads beside ingest', () => {
  it('long reads hold none of ingest’s connections', async () => {
    const store = openPostgresStore(db.url, { poolSize: 2, readPoolSize: 2 });
    try {
      const id = (await store.createKey({ keyHash: 'r', dashboardId: 'r', createdAt: 0 })).id;
      const order: string[] = [];
      // As many slow reads as ingest has connections (with one pool, the batch waits for them).
      const reads = [1, 2].map((i) =>
        store.select!('SELECT pg_sleep(3)', []).then(() => order.push(`read ${i}`)),
      );
      await new Promise((r) => setTimeout(r, 300));
      const batch = store.insertRequests(id, hostileRows(50, 30, NOW, NOW + HOUR), UAS).then((n) => {
        order.push('batch');
        return n;
      });
      expect(await batch).toBe(50);
      await Promise.all(reads);
      expect(order[0]).toBe('batch');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a background read waits for a batch in flight, at most 50 ms; other reads do not', async () => {
    const store = openPostgresStore(db.url);
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      const id = (await store.createKey({ keyHash: 'b', dashboardId: 'b', createdAt: 0 })).id;
      // The key's row locked elsewhere: the batch is in flight until the lock goes.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM keys WHERE id = $1 FOR UPDATE', [id]);
      const order: string[] = [];
      const batch = store.insertRequests(id, hostileRows(20, 31, NOW, NOW + HOUR), UAS).then(() => {
        order.push('batch');
      });
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      const background = store.select!('SELECT 1', [], { background: true }).then(() => {
        order.push('background');
        return performance.now() - t0;
      });
      const plain = store.select!('SELECT 1', []).then(() => {
        order.push('plain');
        return performance.now() - t0;
      });
      const [waited] = await Promise.all([background, plain]);
      expect(order).toEqual(['plain', 'background']);
      expect(waited).toBeGreaterThanOrEqual(45);
      await locker.query('COMMIT');
      await batch;
      // No batch in flight: a background read does not wait (loose: a loaded machine).
      const t1 = performance.now();
      await store.select!('SELECT 1', [], { background: true });
      expect(performance.now() - t1).toBeLessThan(45);
      expect(order).toEqual(['plain', 'background', 'batch']);
    } finally {
      await locker.end();
      await store.close();
    }
  }, 60_000);
});
