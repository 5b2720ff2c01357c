// PostgreSQL's dashboard rollups: every figure read from them equals the brute force over the
// rows, whichever grains a request reads (hours, 6 hours, UTC days, the whole key) and whichever
// case falls back to raw rows, with batches waiting in the pending queue and after their drain;
// a committed row is counted once under concurrent batches, drains and folds, and never for a
// batch that failed; deleting a key removes its rollups and queue; schema version 4 builds them
// for rows stored before it; retention's deleteRollupsBefore leaves them equal to the rows left;
// the maintenance job drains what a closed collector left pending.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDashboard } from '../src/dashboard/engine.js';
import { parseDashboardQuery, resolvePeriod } from '../src/dashboard/query.js';
import { rollupsCover } from '../src/dashboard/rollup-queries.js';
import { openPostgresStore, type Store, type UserAgentInfo } from '../src/index.js';
import { deleteRollupsBefore } from '../src/jobs/retention.js';
import { POSTGRES_MIGRATIONS } from '../src/store/migrations.js';
import { FOLD_GRACE_MS, ROLLUP_TABLES } from '../src/store/postgres-rollups.js';
import { bruteForce, prng, type TestRow } from './dashboard-brute-force.js';
import { startServer } from './harness.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 5, 1, 12, 34, 56);

const UAS = new Map<string, UserAgentInfo>([
  ['Mozilla/5.0 Chrome/124', { browser: 'Chrome', os: 'Windows', device: 'desktop' }],
  ['Mozilla/5.0 Safari iPhone', { browser: 'Mobile Safari', os: 'iOS', device: 'mobile' }],
  ['curl/8.5.0', { browser: 'curl', os: null, device: null }],
  ['Mozilla/5.0 (compatible; Googlebot/2.1)', { browser: 'Googlebot', os: null, device: 'bot' }],
]);
const AGENTS = [...UAS.keys(), null];

/** `n` rows over the 45 days before NOW (a few exactly on hour and day edges), as batches insert them. */
function makeRows(n: number, seed: number): TestRow[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, seq) => {
    let t = NOW - Math.floor(r() * 45 * DAY);
    if (r() < 0.05) t = Math.floor(t / HOUR) * HOUR - (r() < 0.5 ? 1 : 0);
    const userId = r() < 0.5 ? `user-${Math.floor(r() ** 2 * 300)}` : null;
    const route = pick(['/v1/users/:id', '/v2/orders', '/health', null]);
    return {
      seq,
      createdAt: t,
      hostname: pick(['api.example.com', 'eu.example.com', null]),
      ipAddress: r() < 0.1 ? null : `10.0.${Math.floor(r() * 3)}.${Math.floor(r() ** 2 * 200)}`,
      path: route ? route.replace(':id', String(Math.floor(r() * 9))) : `/p/${Math.floor(r() * 60)}`,
      route,
      userAgent: pick(AGENTS),
      method: r() < 0.7 ? 'GET' : pick(['POST', 'DELETE']),
      status: pick([200, 200, 201, 304, 404, 500]),
      responseTime: Math.floor(r() ** 3 * 2000),
      location: pick(['US', 'DE', 'IN', null]),
      userId,
      framework: 'Express',
    };
  });
}

/** The key's rows as stored, ids as `seq`: the brute force's notion of "latest" is the stored order. */
async function storedRows(store: Store, keyId: number): Promise<TestRow[]> {
  const rows = await store.queryRequests(keyId, { limit: 1_000_000 });
  return rows
    .map((r) => ({
      seq: r.id,
      createdAt: r.created_at,
      hostname: r.hostname,
      ipAddress: r.ip_address,
      path: r.path,
      route: r.route,
      userAgent: r.user_agent,
      method: r.method,
      status: r.status,
      responseTime: r.response_time,
      location: r.location,
      userId: r.user_id,
      framework: r.framework,
    }))
    .sort((a, b) => a.seq - b.seq);
}

interface Case {
  name: string;
  query: Record<string, string>;
  /** Whether the rollups answer it (else raw rows do). */
  rollups: boolean;
}

const CASES: Case[] = [
  { name: '30 d in UTC (6-hour buckets, one rollup bucket each)', query: { period: '30d' }, rollups: true },
  { name: '7 d in UTC (hours)', query: { period: '7d' }, rollups: true },
  { name: '7 d in Tokyo (+09:00)', query: { period: '7d', tz: 'Asia/Tokyo' }, rollups: true },
  {
    name: '30 d in Chicago (6-hour buckets from hours)',
    query: { period: '30d', tz: 'America/Chicago' },
    rollups: true,
  },
  { name: 'all time in UTC (the whole-key bucket)', query: { period: 'all' }, rollups: true },
  {
    name: 'all time in Berlin (whole key, days from hours)',
    query: { period: 'all', tz: 'Europe/Berlin' },
    rollups: true,
  },
  {
    name: 'custom days in UTC (UTC days, part of the rows)',
    query: { from: '2026-04-25', to: '2026-05-30' },
    rollups: true,
  },
  {
    name: 'custom hours (days and hours at both edges)',
    query: { from: '2026-05-03T05:00Z', to: '2026-05-20T17:00Z' },
    rollups: true,
  },
  { name: 'fallback: 24 h (5-minute buckets)', query: { period: '24h' }, rollups: false },
  { name: 'fallback: +05:30 (Kolkata)', query: { period: '30d', tz: 'Asia/Kolkata' }, rollups: false },
  {
    name: 'fallback: +05:30 with edges on whole UTC hours',
    query: { from: '2026-05-03T05:00Z', to: '2026-05-20T17:00Z', tz: 'Asia/Kolkata' },
    rollups: false,
  },
  { name: 'fallback: +05:45 (Kathmandu)', query: { period: '7d', tz: 'Asia/Kathmandu' }, rollups: false },
  {
    name: 'fallback: edges within an hour',
    query: { from: '2026-05-03T05:30Z', to: '2026-05-20T17:00Z' },
    rollups: false,
  },
  { name: 'fallback: a filter (method)', query: { period: '30d', method: 'GET' }, rollups: false },
  { name: 'fallback: a filter (statusClass)', query: { period: '30d', statusClass: '4xx' }, rollups: false },
  { name: 'fallback: excludeBots', query: { period: 'all', excludeBots: 'true' }, rollups: false },
];

let db: TestDatabase;
let store: Store;
let keyId: number;
let otherId: number;
let client: pg.Client;
const select = (sql: string, params: unknown[]) => store.select!(sql, params);

/** Every figure of `query` on the key, against the brute force over `rows`. */
async function expectFigures(query: Record<string, string>, rows: TestRow[], id = keyId, s = store) {
  const got = await computeDashboard(
    { dialect: 'postgres', select: (sql, params) => s.select!(sql, params) },
    { id, dashboardId: 'd' },
    parseDashboardQuery(query),
    NOW,
    'postgres',
  );
  const { meta, ...figures } = got;
  expect(figures).toEqual(bruteForce(rows, meta, UAS));
  return got;
}

/** Rollup rows of a key in every table. */
async function rollupRows(id: number): Promise<number[]> {
  const counts: number[] = [];
  for (const table of ROLLUP_TABLES) {
    counts.push(
      Number((await client.query(`SELECT count(*) FROM ${table} WHERE key_id = $1`, [id])).rows[0].count),
    );
  }
  return counts;
}

/** Batches of a key in the pending queue. */
async function pending(id: number): Promise<number> {
  return Number(
    (await client.query('SELECT count(*) FROM rollup_pending WHERE key_id = $1', [id])).rows[0].count,
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  // No drain on its own: the first cases read batches from the pending queue, then drainRollups.
  store = openPostgresStore(db.url, { rollupDrainDelayMs: false });
  await store.migrate();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  keyId = (await store.createKey({ keyHash: 'k', dashboardId: 'd', createdAt: 0 })).id;
  otherId = (await store.createKey({ keyHash: 'o', dashboardId: 'o', createdAt: 0 })).id;
  // Concurrent batches of one key (same hours, same users), and another key's beside them.
  const rows = makeRows(4000, 1);
  const batches: Promise<number>[] = [];
  for (let i = 0; i < rows.length; i += 250)
    batches.push(store.insertRequests(keyId, rows.slice(i, i + 250), UAS));
  batches.push(store.insertRequests(otherId, makeRows(500, 2), UAS));
  const inserted = await Promise.all(batches);
  expect(inserted.reduce((a, b) => a + b, 0)).toBe(4500);
}, 120_000);

afterAll(async () => {
  await client?.end();
  await store?.close();
  await db?.drop();
});

describe('dashboard figures from PostgreSQL rollups', () => {
  it('refuses a drain delay that is not 0 or more milliseconds, or false, naming the option', () => {
    for (const bad of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '250' as unknown as number,
      true as unknown as number,
    ]) {
      expect(() => openPostgresStore(db.url, { rollupDrainDelayMs: bad })).toThrow(
        /openPostgresStore's rollupDrainDelayMs must be a number of milliseconds \(0 or more\) or false/,
      );
    }
  });

  it('leaves the endpoints and users of 8 batches per key in the pending queue, the rest and the totals written', async () => {
    // 16 concurrent batches of 250 rows: 8 queued (the bound between two drains), 8 written whole.
    expect([await pending(keyId), await pending(otherId)]).toEqual([8, 1]);
    const rows = await client.query(
      `SELECT (SELECT sum(n) FROM rollup_endpoints WHERE key_id = $1)::INT AS e,
        (SELECT sum(n) FROM rollup_endpoint_times WHERE key_id = $1)::INT AS t,
        (SELECT sum(n) FROM rollup_users WHERE key_id = $1)::INT AS u,
        (SELECT sum(n) FROM rollup_totals WHERE key_id = $1)::INT AS n`,
      [keyId],
    );
    const queuedIds = new Set(
      (
        await client.query('SELECT unnest(ids)::INT AS id FROM rollup_pending WHERE key_id = $1', [keyId])
      ).rows.map((r) => r.id as number),
    );
    expect(queuedIds.size).toBe(2000);
    const written = (await storedRows(store, keyId)).filter((r) => !queuedIds.has(r.seq));
    const users = written.filter((r) => r.userId !== null || r.ipAddress !== null).length;
    expect(rows.rows[0]).toEqual({ e: 2000, t: 2000, u: users, n: 4000 });
  });

  it.each(CASES)('pending: $name', async ({ query }) => {
    await expectFigures(query, await storedRows(store, keyId));
  });

  it('drainRollups writes every pending batch once, in one drain or two at the same moment', async () => {
    const other = openPostgresStore(db.url, { rollupDrainDelayMs: false });
    try {
      const drained = await Promise.all([
        store.drainRollups!(),
        other.drainRollups!(),
        store.drainRollups!(),
      ]);
      expect(drained.reduce((a, b) => a + b, 0)).toBe(9);
    } finally {
      await other.close();
    }
    expect([await pending(keyId), await pending(otherId)]).toEqual([0, 0]);
    const sums = await client.query(
      `SELECT (SELECT sum(n) FROM rollup_endpoints WHERE key_id = $1)::INT AS e,
        (SELECT sum(n) FROM rollup_endpoint_times WHERE key_id = $1)::INT AS t`,
      [keyId],
    );
    expect(sums.rows[0]).toEqual({ e: 4000, t: 4000 });
  });

  it.each(CASES)('$name', async ({ query, rollups }) => {
    const rows = await storedRows(store, keyId);
    const request = parseDashboardQuery(query);
    const first = (await select('SELECT min(created_at) FROM requests WHERE key_id = $1', [keyId]))[0]![0];
    expect(rollupsCover(request, resolvePeriod(request, NOW, first as number))).toBe(rollups);
    await expectFigures(query, rows);
  });

  it('counts each row of concurrent batches once, and none of a batch that failed', async () => {
    const before = await storedRows(store, keyId);
    expect(before).toHaveLength(4000);
    const totals = await select(
      'SELECT sum(n)::BIGINT, sum(ok)::BIGINT FROM rollup_totals WHERE key_id = $1 AND grain = 0',
      [keyId],
    );
    expect(totals[0]).toEqual([4000, before.filter((r) => r.status < 400).length]);
    // A status beyond SMALLINT fails the batch's one statement: neither its rows nor its counts stay.
    const bad = makeRows(20, 3).map((r, i) => (i === 19 ? { ...r, status: 70_000 } : r));
    await expect(store.insertRequests(keyId, bad, UAS)).rejects.toThrow();
    await expectFigures({ period: 'all' }, before);
    await expectFigures({ period: '30d' }, before);
  });

  it('deleting a key removes its rollups and only its own', async () => {
    const k = (await store.createKey({ keyHash: 'x', dashboardId: 'x', createdAt: 0 })).id;
    await store.insertRequests(k, makeRows(300, 4), UAS);
    await store.drainRollups!();
    await store.insertRequests(k, makeRows(100, 6), UAS);
    expect((await rollupRows(k)).every((c) => c > 0)).toBe(true);
    expect(await pending(k)).toBe(1);
    const others = await rollupRows(keyId);
    await store.deleteKey(k);
    expect(await rollupRows(k)).toEqual(ROLLUP_TABLES.map(() => 0));
    expect(await pending(k)).toBe(0);
    expect(await rollupRows(keyId)).toEqual(others);
  });

  it('schema version 4 builds the rollups of rows stored before it', async () => {
    const old = await createTestDatabase();
    const c = new pg.Client({ connectionString: old.url });
    await c.connect();
    try {
      // The schema as it was before version 4, and rows written by a collector of that time.
      await c.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version < 4)) {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
      }
      const id = Number(
        (
          await c.query(
            `INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES ('m', 'm', 0, 0) RETURNING id`,
          )
        ).rows[0].id,
      );
      for (const [ua, info] of UAS) {
        await c.query('INSERT INTO user_agents (user_agent, browser, os, device) VALUES ($1, $2, $3, $4)', [
          ua,
          info.browser,
          info.os,
          info.device,
        ]);
      }
      const rows = makeRows(1500, 5);
      for (const r of rows) {
        await c.query(
          `INSERT INTO requests (key_id, created_at, hostname, ip_address, path, route, user_agent_id, method, status,
            response_time, location, user_id, framework)
          VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM user_agents WHERE user_agent = $7), $8, $9, $10, $11, $12, $13)`,
          [
            id,
            r.createdAt,
            r.hostname,
            r.ipAddress,
            r.path,
            r.route,
            r.userAgent,
            r.method,
            r.status,
            r.responseTime,
            r.location,
            r.userId,
            r.framework,
          ],
        );
      }
      const migrated = openPostgresStore(old.url);
      try {
        expect(await migrated.migrate()).toBeGreaterThanOrEqual(1);
        expect(await migrated.schemaVersion()).toBeGreaterThanOrEqual(4);
        const stored = await storedRows(migrated, id);
        for (const query of [
          { period: 'all' },
          { period: '30d' },
          { period: '7d', tz: 'Asia/Tokyo' },
        ] as Array<Record<string, string>>) {
          await expectFigures(query, stored, id, migrated);
        }
        const whole = await migrated.select!(
          'SELECT sum(n)::BIGINT FROM rollup_totals WHERE key_id = $1 AND grain = 3',
          [id],
        );
        expect(whole[0]![0]).toBe(1500);
      } finally {
        await migrated.close();
      }
    } finally {
      await c.end();
      await old.drop();
    }
  }, 120_000);

  it('deleteRollupsBefore (retention) leaves the rollups equal to the rows that remain', async () => {
    // A cutoff inside an hour (and so inside a day and a 6-hour bucket) that holds rows.
    const stored = await storedRows(store, keyId);
    const cutoff = stored[Math.floor(stored.length / 2)]!.createdAt + 1;
    expect(cutoff % HOUR).not.toBe(0);
    // A batch still pending, with rows on both sides of the cutoff within its hour: the hour is
    // recomputed from the rows, which must not count them a second time beside the queue.
    const hour = Math.floor(cutoff / HOUR) * HOUR;
    // Half of them before the cutoff, half from it on, wherever in its hour the cutoff falls.
    const r = prng(21);
    const late = makeRows(60, 21).map((row, i) => ({
      ...row,
      createdAt:
        i % 2 ? hour + Math.floor(r() * (cutoff - hour)) : cutoff + Math.floor(r() * (hour + HOUR - cutoff)),
    }));
    expect(late.some((row) => row.createdAt < cutoff) && late.some((row) => row.createdAt >= cutoff)).toBe(
      true,
    );
    await store.insertRequests(keyId, late, UAS);
    expect(await pending(keyId)).toBe(1);
    const all = await storedRows(store, keyId);
    await store.deleteRequestsBefore!(cutoff);
    await deleteRollupsBefore(store, cutoff);
    const left = all.filter((r) => r.createdAt >= cutoff);
    const before = await select('SELECT count(*) FROM rollup_totals WHERE grain = 0 AND bucket < $1', [
      Math.floor(cutoff / HOUR),
    ]);
    expect(before[0]![0]).toBe(0);
    const queries: Array<Record<string, string>> = [
      { period: 'all' },
      { period: '30d' },
      { period: '7d' },
      { from: '2026-04-01', to: '2026-06-01' },
    ];
    for (const query of queries) {
      await expectFigures(query, left);
    }
    await expectFigures({ period: 'all' }, await storedRows(store, otherId), otherId);
  });
});

describe('folding finished hours into the coarse grains (the fold job)', () => {
  let fdb: TestDatabase;
  let a: Store;
  /** A second collector process's store on the same database. */
  let b: Store;
  let id: number;
  const q = (sql: string, params: unknown[] = []) => a.select!(sql, params);
  const watermark = async () =>
    (await q('SELECT rollups_folded_to FROM keys WHERE id = $1', [id]))[0]![0] as number;
  /** Rows counted in a grain of rollup_totals (the whole key: 3, days: 1, hours: 0). */
  const counted = async (grain: number) =>
    Number(
      (
        await q('SELECT coalesce(sum(n), 0) FROM rollup_totals WHERE key_id = $1 AND grain = $2', [id, grain])
      )[0]![0],
    );
  /** Every case the rollups answer, against the brute force over the stored rows. */
  const expectExact = async () => {
    const rows = await storedRows(a, id);
    for (const c of CASES.filter((c) => c.rollups)) await expectFigures(c.query, rows, id, a);
    return rows;
  };
  /** The invariant: the coarse grains hold exactly the rows before the watermark, hours all of them. */
  const expectInvariant = async (rows: TestRow[]) => {
    const w = await watermark();
    const before = rows.filter((r) => r.createdAt < w).length;
    expect([await counted(3), await counted(1), await counted(0)]).toEqual([before, before, rows.length]);
  };
  /** `n` rows at random times in [from, to). */
  const rowsIn = (n: number, seed: number, from: number, to: number) => {
    const r = prng(seed);
    return makeRows(n, seed).map((row) => ({ ...row, createdAt: from + Math.floor(r() * (to - from)) }));
  };
  const insert = (s: Store, rows: TestRow[], size = 200) => {
    const batches: Promise<number>[] = [];
    for (let i = 0; i < rows.length; i += size)
      batches.push(s.insertRequests(id, rows.slice(i, i + size), UAS));
    return batches;
  };

  beforeAll(async () => {
    fdb = await createTestDatabase();
    a = openPostgresStore(fdb.url);
    await a.migrate();
    // Drains right after each batch in one collector, after the default delay in the other: they
    // race with batches, folds and each other.
    b = openPostgresStore(fdb.url, { rollupDrainDelayMs: 0 });
    id = (await a.createKey({ keyHash: 'f', dashboardId: 'f', createdAt: 0 })).id;
    // Monthly partitions for the rows' months (April to June 2026), so that retention drops one.
    await a.prepareMonths!(Date.UTC(2026, 3, 1));
    await Promise.all(insert(a, makeRows(3000, 11), 300));
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fdb?.drop();
  });

  it('keeps every figure exact before a fold, with part of the hours folded, and with all of them', async () => {
    expect(await watermark()).toBe(0);
    let rows = await expectExact();
    expect(await counted(3)).toBe(0);
    // Part: the watermark lands inside the rows' span, on the hour FOLD_GRACE_MS before `at`.
    const at = NOW - 10 * DAY + 30 * 60_000;
    expect(await a.foldRollups!(at)).toBe(1);
    expect(await watermark()).toBe(Math.floor((at - FOLD_GRACE_MS) / HOUR) * HOUR);
    // The folded hours' shards are merged into shard 0.
    const sharded = await q(
      'SELECT count(*) FROM rollup_endpoint_times WHERE key_id = $1 AND grain = 0 AND bucket < $2 AND shard <> 0',
      [id, (await watermark()) / HOUR],
    );
    expect(Number(sharded[0]![0])).toBe(0);
    await expectInvariant(rows);
    rows = await expectExact();
    expect(await a.foldRollups!(at)).toBe(0);
    // All of them.
    expect(await a.foldRollups!(NOW + 2 * HOUR)).toBe(1);
    await expectInvariant(rows);
    expect(await counted(3)).toBe(3000);
    await expectExact();
  }, 120_000);

  it('counts rows arriving late for folded hours once, in every grain', async () => {
    const w = await watermark();
    // A batch of back-dated rows only, and batches mixing them with rows after the watermark.
    await a.insertRequests(id, rowsIn(150, 12, NOW - 20 * DAY, w), UAS);
    const mixed = [...rowsIn(200, 13, NOW - 3 * DAY, w), ...rowsIn(200, 14, w, w + 3 * HOUR)];
    await Promise.all(
      insert(
        a,
        mixed.sort((x, y) => ((x.seq * 7919) % 401) - ((y.seq * 7919) % 401)),
        100,
      ),
    );
    const rows = await expectExact();
    expect(rows).toHaveLength(3550);
    await expectInvariant(rows);
    expect(await a.foldRollups!(w + 4 * HOUR + FOLD_GRACE_MS)).toBe(1);
    await expectInvariant(rows);
    expect(await counted(3)).toBe(3550);
    await expectExact();
  }, 120_000);

  it('counts each row of batches ingested during folds once (none lost, none twice)', async () => {
    const w = await watermark();
    // Rows in the hours the folds fold (and late ones), from both collectors, while both fold
    // hour after hour.
    const fresh = rowsIn(1200, 16, w, w + 6 * HOUR);
    const late = rowsIn(300, 17, NOW - 30 * DAY, w);
    const folds = async (s: Store) => {
      for (let h = 1; h <= 6; h++) await s.foldRollups!(w + h * HOUR + FOLD_GRACE_MS);
    };
    const drains = async () => {
      for (let i = 0; i < 6; i++) await a.drainRollups!();
    };
    await Promise.all([
      ...insert(a, fresh.slice(0, 600), 50),
      ...insert(b, fresh.slice(600), 50),
      ...insert(b, late, 50),
      folds(a),
      folds(b),
      drains(),
    ]);
    const rows = await storedRows(a, id);
    expect(rows).toHaveLength(5050);
    await expectInvariant(rows);
    expect(await a.foldRollups!(w + 7 * HOUR + FOLD_GRACE_MS)).toBe(1);
    await expectInvariant(rows);
    expect(await counted(3)).toBe(5050);
    await expectExact();
  }, 120_000);

  it('folds a key once when two collectors fold at the same moment', async () => {
    const w = await watermark();
    await Promise.all(insert(a, rowsIn(500, 18, w, w + 5 * HOUR), 100));
    const at = w + 6 * HOUR + FOLD_GRACE_MS;
    const done = await Promise.all([a.foldRollups!(at), b.foldRollups!(at)]);
    expect(done.sort()).toEqual([0, 1]);
    const rows = await storedRows(a, id);
    await expectInvariant(rows);
    expect(await counted(3)).toBe(5550);
    await expectExact();
  }, 120_000);

  it('age retention drops whole months and leaves the folded grains equal to the rows that remain', async () => {
    const all = await storedRows(a, id);
    // Inside an hour, a 6-hour bucket and a day, well before the watermark; after 1 May, so that
    // April's partition is dropped whole.
    const cutoff = Date.UTC(2026, 4, 12, 7, 20, 33);
    expect(cutoff).toBeLessThan(await watermark());
    expect(await q("SELECT to_regclass('requests_202604') IS NOT NULL")).toEqual([[true]]);
    const deleted = await a.deleteRequestsBefore!(cutoff);
    await deleteRollupsBefore(a, cutoff);
    expect(await q("SELECT to_regclass('requests_202604') IS NOT NULL")).toEqual([[false]]);
    const left = all.filter((r) => r.createdAt >= cutoff);
    expect(deleted).toBe(all.length - left.length);
    const rows = await expectExact();
    expect(rows).toEqual(left);
    await expectInvariant(rows);
    for (const query of [
      { from: '2026-05-01', to: '2026-05-20' },
      { from: '2026-05-12T07:00Z', to: '2026-05-13T06:00Z' },
    ])
      await expectFigures(query, rows, id, a);
    // Ingest and folds go on as before.
    const w = await watermark();
    await Promise.all(insert(a, [...rowsIn(100, 19, cutoff, w), ...rowsIn(100, 20, w, w + HOUR)], 50));
    await a.foldRollups!(w + 2 * HOUR + FOLD_GRACE_MS);
    await expectInvariant(await expectExact());
  }, 120_000);

  it('the maintenance job drains what a closed collector left pending', async () => {
    // Folded up to now: the job's fold (which drains a key before folding it) has nothing to do.
    await a.foldRollups!(Date.now());
    const w = await watermark();
    expect(w).toBeGreaterThan(Date.now() - FOLD_GRACE_MS - 2 * HOUR);
    const left = openPostgresStore(fdb.url, { rollupDrainDelayMs: false });
    await Promise.all(insert(left, rowsIn(300, 22, w, w + HOUR), 100));
    await left.close();
    const queued = async () => Number((await q('SELECT count(*) FROM rollup_pending', []))[0]![0]);
    expect(await queued()).toBe(3);
    const rows = await expectExact();
    const collector = openPostgresStore(fdb.url, { rollupDrainDelayMs: false });
    const server = await startServer(collector);
    try {
      const until = Date.now() + 20_000;
      while ((await queued()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(await queued()).toBe(0);
    } finally {
      await server.close();
    }
    await expectInvariant(rows);
    await expectExact();
  }, 120_000);
});
