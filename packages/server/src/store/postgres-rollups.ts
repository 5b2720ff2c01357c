/**
 * PostgreSQL's dashboard rollups: per key and UTC time bucket, the counts every unfiltered
 * dashboard figure is made of. The dashboard engine reads them (`dashboard/rollup-queries.ts`).
 *
 * Four grains of the same tables: hours (grain 0, bucket = hours since the epoch), UTC days (1),
 * 6 UTC hours (2) and the whole key (3, one bucket). A period is read as whole days plus the hours
 * at its edges, so its cost grows with its length in days, not with its rows.
 *
 * Ingest writes the hour grain only, in the same statement as the batch's rows (a committed row
 * is counted exactly once, and a failed batch not at all): the tables of few rows per batch
 * ({@link COUNTED_TABLES}) directly, the others ({@link PENDING_TABLES}: about 1 500 rows per
 * 1 000-row batch) through the **pending queue**: the statement records the batch's row ids in
 * `rollup_pending`, and a drain ({@link drainKeyRollups}), soon after and off the batch's path,
 * deletes pending entries and writes their rows' hour rows in one statement. Readers add the
 * pending rows to those tables ({@link withPending}), so every figure is exact at every moment:
 * a snapshot sees a batch either pending or drained, never both. The coarser grains are folded from
 * finished hours by a background job ({@link foldKeyRollups}, in the process holding the job
 * lock), which moves each key's **fold watermark** (`keys.rollups_folded_to`, epoch ms, on a whole
 * hour) forward in the same transaction. The invariant every reader and writer keeps: a key's
 * coarse grains hold exactly its rows created before its watermark, its hour grain all its rows.
 * A row arriving late for an hour before the watermark (a back-dated `created_at`) is written to
 * every grain at ingest. Ingest reads the watermark `FOR SHARE` on the key's row (which it locked
 * so already), the fold locks that row `FOR NO KEY UPDATE`: a batch and a fold of one key never
 * interleave, so no row is folded twice or missed.
 *
 * Every figure stays exact: response times are counted per whole-millisecond value (nearest-rank
 * percentiles merge exactly), distinct users are sets (one row per identity and bucket).
 */
import type pg from 'pg';
import type { NewRequestRow } from '../columns.js';
import { VERSION_PATTERN } from '../dashboard/sql.js';
import { apiVersion } from './duckdb-derive.js';

const HOUR = 3_600_000;

/**
 * Rollup grains: [grain, bucket width in ms]. Buckets count from the epoch in UTC; the whole-key
 * grain has one bucket (0), read for a period holding every row of the key (`all`, and any
 * period past the key's first and last rows).
 */
export const GRAINS = [
  [0, HOUR],
  [1, 24 * HOUR],
  [2, 6 * HOUR],
  [3, 0],
] as const;
export type Grain = (typeof GRAINS)[number][0];
/** The whole-key grain. */
export const WHOLE = 3;
/** Grains of the tables read per timeline bucket (6 hours: the 30-day view's buckets). */
const TIMELINE_GRAINS: readonly Grain[] = [0, 1, 2, 3];
/** Grains of the tables read for whole periods only. */
const PERIOD_GRAINS: readonly Grain[] = [0, 1, 3];
/** The coarse grains, in the order a fold or a recomputation writes them (the whole key from days). */
const COARSE: readonly Grain[] = [2, 1, WHOLE];

/**
 * Ingest writes a batch's hour rows to one of shards 1 … ROLLUP_SHARDS - 1 (a column of every
 * rollup table's key), one no other batch of the process is writing: concurrent batches of one
 * key then update rows of their own instead of waiting for each other's locks on the current
 * hour's (its totals, its busiest endpoints, its hostname). The fold merges them into shard 0,
 * which every other writer uses; readers sum over shards.
 */
export const ROLLUP_SHARDS = 16;

/** The column of `keys` holding a key's fold watermark (see the module comment). */
export const FOLDED = 'rollups_folded_to';

/**
 * How long after an hour ends the fold waits before folding it: batches of that hour still in
 * flight (SDK buffers, retries) arrive before, and take the cheap path (hour grain only).
 */
export const FOLD_GRACE_MS = 10 * 60_000;

/** `rollup_dims.dim` values: one table for the figures that count requests per single value. */
export const DIM = { hostname: 0, version: 1, userAgent: 2, location: 3 } as const;

const endpoint = 'coalesce(s.route, s.path)';
const ident = "CASE WHEN s.user_id IS NOT NULL THEN 'u' || s.user_id ELSE 'i' || s.ip_address END";
const hasIdent = 's.user_id IS NOT NULL OR s.ip_address IS NOT NULL';

/** A nullable text expression as key text: '' for NULL, '=' + the value otherwise. */
export const nullable = (expr: string) => `coalesce('=' || ${expr}, '')`;
/** The value of a {@link nullable} key column `col` (NULL for ''). */
export const unNullable = (col: string) => `CASE WHEN ${col} = '' THEN NULL ELSE substr(${col}, 2) END`;

/**
 * One rollup table: its grains; `key`, the columns after the bucket in its primary key; `cols`,
 * every column after the bucket; `rows`, the SELECT list after the bucket over request rows `s`
 * (with `where` when needed, grouped by the key); `merged`, the values of `cols` when merging
 * rows of a finer grain (grouped by the key); `update`, how an upsert merges a row into an
 * existing one (alias `t`).
 */
interface RollupTable {
  name: string;
  grains: readonly Grain[];
  key: string[];
  cols: string;
  rows: string;
  where?: string;
  merged: string;
  update: string;
}

const TABLES: readonly RollupTable[] = [
  {
    name: 'rollup_totals',
    grains: TIMELINE_GRAINS,
    key: [],
    cols: 'n, ok',
    rows: 'count(*), count(*) FILTER (WHERE s.status < 400)',
    merged: 'sum(n), sum(ok)',
    update: 'n = t.n + excluded.n, ok = t.ok + excluded.ok',
  },
  {
    name: 'rollup_times',
    grains: TIMELINE_GRAINS,
    key: ['response_time'],
    cols: 'response_time, n',
    rows: 's.response_time, count(*)',
    merged: 'response_time, sum(n)',
    update: 'n = t.n + excluded.n',
  },
  {
    name: 'rollup_endpoints',
    grains: PERIOD_GRAINS,
    key: ['method', 'endpoint', 'status'],
    cols: 'method, endpoint, status, n',
    rows: `s.method, ${endpoint}, s.status, count(*)`,
    merged: 'method, endpoint, status, sum(n)',
    update: 'n = t.n + excluded.n',
  },
  {
    name: 'rollup_endpoint_times',
    grains: PERIOD_GRAINS,
    key: ['method', 'endpoint', 'response_time'],
    cols: 'method, endpoint, response_time, n',
    rows: `s.method, ${endpoint}, s.response_time, count(*)`,
    merged: 'method, endpoint, response_time, sum(n)',
    update: 'n = t.n + excluded.n',
  },
  {
    name: 'rollup_dims',
    grains: PERIOD_GRAINS,
    key: ['dim', 'value'],
    cols: 'dim, value, n',
    rows: 'd.dim, d.value, count(*)',
    merged: 'dim, value, sum(n)',
    update: 'n = t.n + excluded.n',
  },
  // A user is its user id, or its IP when the row has no user id ('u' / 'i' prefixes keep the
  // two apart, as the raw query's two distinct counts do), one row per user and country: the
  // users figure groups them by user (its latest IP and country are its highest id's), the
  // countries figure by country (one table instead of two at ingest: a user rarely changes
  // country within an hour).
  {
    name: 'rollup_users',
    grains: TIMELINE_GRAINS,
    key: ['ident', 'location'],
    cols: 'ident, location, n, last_at, last_id, last_ip',
    rows: `${ident}, ${nullable('s.location')}, count(*), max(s.created_at), max(s.id),
      (array_agg(s.ip_address ORDER BY s.id DESC))[1]`,
    where: hasIdent,
    merged:
      'ident, location, sum(n), max(last_at), max(last_id), (array_agg(last_ip ORDER BY last_id DESC))[1]',
    update: `n = t.n + excluded.n,
      last_at = greatest(t.last_at, excluded.last_at), last_id = greatest(t.last_id, excluded.last_id),
      last_ip = CASE WHEN excluded.last_id > t.last_id THEN excluded.last_ip ELSE t.last_ip END`,
  },
];

/** Every rollup table, for deletion. */
export const ROLLUP_TABLES = TABLES.map((t) => t.name);

/**
 * The tables (schema version 4); their primary keys are made after a bulk build (an index built
 * once is several times faster than one grown row by row). Values that may be NULL are kept in key
 * columns as {@link nullable} text: '' for NULL, '=' + the value otherwise (unique constraints
 * treat NULLs as distinct before PostgreSQL 15). Pages are left half empty: most writes update
 * a row of the current hour, and an update that finds room on its page is a HOT one (no new index
 * entry; 51-54 against 57-70 ms per 1 000-row batch, 4 concurrent, store alone, loaded machine).
 */
export const ROLLUP_SCHEMA = `
CREATE TABLE rollup_totals (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  n BIGINT NOT NULL, ok BIGINT NOT NULL,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE TABLE rollup_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  response_time INTEGER NOT NULL, n BIGINT NOT NULL,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE TABLE rollup_endpoints (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, status SMALLINT NOT NULL, n BIGINT NOT NULL,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE TABLE rollup_endpoint_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, response_time INTEGER NOT NULL, n BIGINT NOT NULL,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE TABLE rollup_dims (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  dim SMALLINT NOT NULL, value TEXT NOT NULL, n BIGINT NOT NULL,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE TABLE rollup_users (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL, ident TEXT NOT NULL,
  location TEXT NOT NULL, n BIGINT NOT NULL, last_at BIGINT NOT NULL, last_id BIGINT NOT NULL, last_ip TEXT,
  shard SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
ALTER TABLE keys ADD COLUMN ${FOLDED} BIGINT NOT NULL DEFAULT 0;
`;

/** A table's primary key: the conflict target of its upserts. */
const primaryKey = (t: RollupTable) => ['key_id', 'grain', 'bucket', ...t.key, 'shard'].join(', ');
/** `ON CONFLICT …` merging into the existing row. */
const onConflict = (t: RollupTable) => `ON CONFLICT (${primaryKey(t)}) DO UPDATE SET ${t.update}`;
/** ` ORDER BY 1, 2, …, n`: rows in primary key order. */
const order = (n: number) => ` ORDER BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`;

/** Options of {@link rollupInserts}. */
interface InsertOptions {
  /** The grains written. @default every grain */
  only?: readonly Grain[];
  /** `false`: a bulk build into empty tables without keys, no `ON CONFLICT`. @default true */
  upsert?: boolean;
  /** SQL of a watermark: the coarse grains get only the rows created before it (late rows). */
  before?: string;
  /** SQL of the shard the hour grain's rows go to (coarse grains: shard 0). @default '0' */
  shard?: string;
  /** Tables left out (their rows written otherwise). @default none */
  skip?: readonly string[];
}

/**
 * The statements that add the rows of `source` (a relation with the columns of `requests`) to
 * the rollups, one per table, each `INSERT … SELECT … ON CONFLICT DO UPDATE`. Grouped rows are
 * sorted by the conflict key so that concurrent batches lock rollup rows in one order (no
 * deadlock), and so that a bulk build lays each bucket's rows out together (a period's read then
 * touches few pages).
 */
export function rollupInserts(source: string, o: InsertOptions = {}): string[] {
  const only = o.only ?? [0, 1, 2, 3];
  return TABLES.flatMap((t) => {
    if (o.skip?.includes(t.name)) return [];
    const grains = GRAINS.filter(([g]) => t.grains.includes(g) && only.includes(g));
    if (grains.length === 0) return [];
    const values = grains.map(([g, width]) => `(${g}::SMALLINT, ${width}::BIGINT)`).join(', ');
    const join = o.before
      ? `JOIN (VALUES ${values}) g(grain, width) ON g.grain = 0 OR s.created_at < ${o.before}`
      : `CROSS JOIN (VALUES ${values}) g(grain, width)`;
    const dims =
      t.name === 'rollup_dims'
        ? `CROSS JOIN LATERAL (VALUES (${DIM.hostname}::SMALLINT, ${nullable('s.hostname')}),
      (${DIM.version}::SMALLINT, ${nullable(`substring(s.path from '${VERSION_PATTERN}')`)}),
      (${DIM.userAgent}::SMALLINT, ${nullable('s.user_agent_id::TEXT')}),
      (${DIM.location}::SMALLINT, ${nullable('s.location')})) d(dim, value)`
        : '';
    const n = 4 + t.key.length;
    const group = ` GROUP BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`;
    return [
      `INSERT INTO ${t.name} AS t (key_id, grain, bucket, shard, ${t.cols})
    SELECT s.key_id, g.grain,
      CASE WHEN g.width = 0 THEN 0 ELSE s.created_at / g.width END::INTEGER,
      CASE WHEN g.grain = 0 THEN ${o.shard ?? '0'} ELSE 0 END::SMALLINT, ${t.rows}
    FROM ${source} s ${join} ${dims}${t.where ? ` WHERE ${t.where}` : ''}${group}${order(n)}
    ${o.upsert === false ? '' : onConflict(t)}`,
    ];
  });
}

/**
 * Statements writing grain `to` of every table from its rows of the finer grain `from` (a whole
 * multiple) matching `where` (columns of the source table), all shards merged into shard 0,
 * merging into existing rows with `upsert`. `compact` (from = to = hours): moves the rows of
 * shards other than 0 into shard 0 instead.
 */
function coarsen(from: Grain, to: Grain, where: string, upsert: boolean, compact = false): string[] {
  const width = (g: Grain) => GRAINS.find(([grain]) => grain === g)![1];
  const bucket = to === WHOLE ? '0' : `(bucket::BIGINT * ${width(from)} / ${width(to)})::INTEGER`;
  return TABLES.filter((t) => t.grains.includes(to)).map((t) => {
    const groups = ['key_id', '3', ...t.key].join(', ');
    const source = `${t.name} WHERE grain = ${from} AND ${where}`;
    const head = compact ? `WITH d AS (DELETE FROM ${source} AND shard <> 0 RETURNING *) ` : '';
    return `${head}INSERT INTO ${t.name} AS t (key_id, grain, bucket, ${t.cols})
    SELECT key_id, ${to}, ${bucket}, ${t.merged} FROM ${compact ? 'd' : source}
    GROUP BY ${groups} ORDER BY ${groups} ${upsert ? onConflict(t) : ''}`;
  });
}

/**
 * Hour rows the collector counts itself for a batch that takes the hour grain only: tables whose
 * rows are few per batch (one total, a few hundred response times, a dozen dimension values) but
 * cost the database a pass and a hash aggregation each over the inserted rows (the dimensions
 * four rows per request and a regular expression: 5 of 27 ms of a 1 000-row batch's CPU).
 */
export const COUNTED_TABLES = ['rollup_totals', 'rollup_times', 'rollup_dims'] as const;

/**
 * Tables whose hour rows a batch leaves to the pending queue (see the module comment): a row per
 * endpoint and status, per endpoint and millisecond, per user and country, about 1 500 upserts
 * per 1 000-row batch and half of its database time, done by a drain for several batches at once.
 */
export const PENDING_TABLES: readonly string[] = TABLES.map((t) => t.name).filter(
  (name) => !(COUNTED_TABLES as readonly string[]).includes(name),
);

/**
 * Schema version 5: the pending queue. One row per stored batch whose {@link PENDING_TABLES} hour
 * rows are not written yet: its key, its rows' ids (exact: the ids of concurrent batches
 * interleave, so a range would not do) and the span of their `created_at` (which bounds the read
 * of those rows to a range of the key's time index and a month's partition).
 */
export const PENDING_SCHEMA = `
CREATE TABLE rollup_pending (
  key_id BIGINT NOT NULL, min_at BIGINT NOT NULL, max_at BIGINT NOT NULL, ids BIGINT[] NOT NULL
);
CREATE INDEX rollup_pending_key ON rollup_pending (key_id);
`;

/** A CTE body recording the inserted rows (`ins`) of a batch in the pending queue. */
const PENDING_INSERT = `INSERT INTO rollup_pending (key_id, min_at, max_at, ids)
    SELECT min(key_id), min(created_at), max(created_at), array_agg(id) FROM ins HAVING count(*) > 0`;

/**
 * The stored rows of key `key` (SQL) recorded in the pending queue, as `s` (the columns of
 * `requests`): one primary-key lookup per id, in the month partitions of the batch's time span.
 * Not `r.id = ANY(p.ids)` on a range of the key's time index: PostgreSQL 15 runs one index scan
 * of the range per element of the array there (a 20 000-row batch drained for minutes). No
 * condition on `key_id` either (the ids are the key's): with one, a planner that has no statistics
 * yet picks an index led by `key_id` and reads the key's whole range per id.
 */
const pendingRequests = (key: string, pending = 'rollup_pending') => `(SELECT r.* FROM ${pending} p
    CROSS JOIN LATERAL unnest(p.ids) u(id)
    JOIN requests r ON r.id = u.id AND r.created_at BETWEEN p.min_at AND p.max_at
    WHERE p.key_id = ${key})`;

/**
 * `table` with the hour rows of the key's pending batches added (as a relation with the table's
 * columns, in its order), for a {@link PENDING_TABLES} table; `table` itself otherwise. Readers
 * put their own conditions on it (the key, grains, buckets), which PostgreSQL pushes into both
 * parts (the pending part has grain 0 only: a condition on a coarse grain leaves it out).
 */
export function withPending(table: string, key: string): string {
  if (!PENDING_TABLES.includes(table)) return table;
  const t = TABLES.find((x) => x.name === table)!;
  const group = Array.from({ length: 3 + t.key.length }, (_, i) => i + 1).join(', ');
  return `(SELECT * FROM ${table} UNION ALL
    SELECT s.key_id, 0::SMALLINT, (s.created_at / ${HOUR})::INTEGER, ${t.rows}, 0::SMALLINT
    FROM ${pendingRequests(key)} s${t.where ? ` WHERE ${t.where}` : ''} GROUP BY ${group})`;
}

/**
 * The drain of one key (`$1`): deletes its pending entries and writes their rows' hour rows to
 * shard `$2`, one statement (a crash leaves both). Two drains of a key never count a batch twice:
 * an entry is deleted by one of them only (the other waits on its row lock, then skips it). The
 * result: the entries and rows drained.
 */
const DRAIN = `WITH p AS (DELETE FROM rollup_pending WHERE key_id = $1 RETURNING *),
  ins AS (SELECT * FROM ${pendingRequests('$1', 'p')} s),
  ${rollupInserts('ins', { only: [0], shard: '$2::SMALLINT', skip: COUNTED_TABLES })
    .map((sql, i) => `r${i} AS (${sql})`)
    .join(', ')}
  SELECT (SELECT count(*) FROM p)::INT AS batches, count(*)::INT AS n FROM ins`;

/**
 * Drains a key's pending batches (see {@link DRAIN}) into hour rows of `shard`, in the caller's
 * transaction if it has one; resolves with the number of batches drained.
 */
export async function drainKeyRollups(
  client: pg.ClientBase | pg.Pool,
  keyId: number,
  shard = 0,
): Promise<number> {
  const r = await client.query<{ batches: number }>(DRAIN, [keyId, shard]);
  return r.rows[0]?.batches ?? 0;
}

/** The hour bucket of a time, as the SQL above computes it (`created_at / 3600000`, truncated). */
const hourOf = (createdAt: number) => Math.trunc(createdAt / HOUR);

/** One array per column: the parameters of {@link countedUpserts}, in its order. */
export type CountedRollups = unknown[][];

/**
 * The rows of {@link COUNTED_TABLES} for a batch, counted in JavaScript exactly as
 * {@link rollupInserts} counts them in SQL (same buckets, same {@link nullable} values, the
 * version by the scan that `VERSION_PATTERN` describes): per hour, the total and the successes
 * (status < 400), the requests per response time, and per dimension value. `userAgentId` gives
 * each row's `user_agent_id` as stored.
 */
export function countRollups(
  rows: readonly NewRequestRow[],
  userAgentId: (row: NewRequestRow) => number | null,
): CountedRollups {
  const totals = new Map<number, [number, number]>();
  const times = new Map<string, number>();
  const dims = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const text = (v: string | number | null) => (v === null ? '' : `=${v}`);
  for (const r of rows) {
    const hour = hourOf(r.createdAt);
    const t = totals.get(hour);
    const ok = r.status < 400 ? 1 : 0;
    if (t) {
      t[0]++;
      t[1] += ok;
    } else totals.set(hour, [1, ok]);
    add(times, `${hour} ${r.responseTime}`);
    // Keys as `hour dim value`: the value last, so that it may hold spaces.
    add(dims, `${hour} ${DIM.hostname} ${text(r.hostname)}`);
    add(dims, `${hour} ${DIM.version} ${text(apiVersion(r.path))}`);
    add(dims, `${hour} ${DIM.userAgent} ${text(userAgentId(r))}`);
    add(dims, `${hour} ${DIM.location} ${text(r.location)}`);
  }
  const columns = (m: Map<string, number>, n: number) => {
    const out: unknown[][] = Array.from({ length: n + 1 }, () => []);
    for (const [k, count] of m) {
      let from = 0;
      for (let i = 0; i < n - 1; i++) {
        const end = k.indexOf(' ', from);
        out[i]!.push(Number(k.slice(from, end)));
        from = end + 1;
      }
      out[n - 1]!.push(n === 2 ? Number(k.slice(from)) : k.slice(from));
      out[n]!.push(count);
    }
    return out;
  };
  return [
    [...totals.keys()],
    [...totals.values()].map((t) => t[0]),
    [...totals.values()].map((t) => t[1]),
    ...columns(times, 2),
    ...columns(dims, 3),
  ];
}

/**
 * The upserts of {@link countRollups}' rows (parameters from `$first`, the key `$1`, the shard
 * `shard`), as CTEs that write only when `ins` inserted rows: a batch not stored (its id known
 * already, or the key's watermark past its rows) counts nothing. Rows sorted by key, as in
 * {@link rollupInserts} (one lock order for every writer).
 */
export function countedUpserts(first: number, shard: string): string[] {
  let n = first;
  const p = (type: string) => `$${n++}::${type}[]`;
  const upsert = (name: string, cols: string, from: string, as: string, order: string) => {
    const t = TABLES.find((x) => x.name === name)!;
    return `INSERT INTO ${name} AS t (key_id, grain, bucket, shard, ${cols})
    SELECT $1, 0, u.bucket, ${shard}, ${cols} FROM unnest(${from}) u(${as})
    WHERE EXISTS (SELECT 1 FROM ins) ORDER BY ${order} ${onConflict(t)}`;
  };
  return [
    upsert('rollup_totals', 'n, ok', `${p('INTEGER')}, ${p('BIGINT')}, ${p('BIGINT')}`, 'bucket, n, ok', '3'),
    upsert(
      'rollup_times',
      'response_time, n',
      `${p('INTEGER')}, ${p('INTEGER')}, ${p('BIGINT')}`,
      'bucket, response_time, n',
      '3, 5',
    ),
    upsert(
      'rollup_dims',
      'dim, value, n',
      `${p('INTEGER')}, ${p('SMALLINT')}, ${p('TEXT')}, ${p('BIGINT')}`,
      'bucket, dim, value, n',
      '3, 5, 6',
    ),
  ];
}

/** Options of {@link insertWithRollups}. */
interface WithRollupsOptions {
  /**
   * SQL of the key's watermark: every grain for the rows created before it (late rows). Without
   * it, the hour grain only (every row at or after the watermark).
   */
  before?: string;
  /**
   * The hour grain only, with the rows of {@link COUNTED_TABLES} from parameters `$counted`
   * onwards ({@link countRollups}) instead of from the inserted rows, and the batch recorded in
   * the pending queue for the {@link PENDING_TABLES}.
   */
  counted?: number;
  /**
   * With `counted`: the {@link PENDING_TABLES} through the pending queue (`true`), or upserted
   * from the inserted rows in the statement (`false`). @default true
   */
  queue?: boolean;
  /** CTEs written before the insert's (`name AS (…), …`), which `insertRows` may read. */
  head?: string;
  /** The statement's result, over `ins` (the inserted rows). @default 'count(*) AS n' */
  result?: string;
}

/**
 * A batch's INSERT (`insertRows`, an `INSERT … SELECT` into requests) and the rollup upserts of
 * its rows as one statement: its only result row is `o.result` over the inserted rows (`ins`).
 * The hour grain's rows go to `shard` (SQL; see {@link ROLLUP_SHARDS}).
 */
export function insertWithRollups(insertRows: string, shard: string, o: WithRollupsOptions = {}): string {
  const rollups = o.before
    ? rollupInserts('ins', { before: o.before, shard })
    : o.counted !== undefined
      ? [
          ...countedUpserts(o.counted, shard),
          ...(o.queue === false
            ? rollupInserts('ins', { only: [0], shard, skip: COUNTED_TABLES })
            : [PENDING_INSERT]),
        ]
      : rollupInserts('ins', { only: [0], shard });
  const ctes = [...(o.head ? [o.head] : []), `ins AS (${insertRows} RETURNING *)`];
  ctes.push(...rollups.map((sql, i) => `r${i} AS (${sql})`));
  return `WITH ${ctes.join(', ')} SELECT ${o.result ?? 'count(*) AS n'} FROM ins`;
}

/** The start of the current hour, in SQL (the database's clock). */
const HOUR_NOW = `((extract(epoch FROM now()) * 1000)::BIGINT / ${HOUR} * ${HOUR})`;

/**
 * Schema version 4: the rollup tables, built from the stored rows: hours from the rows (one
 * pass per table, unsorted), the coarser grains from the hours before the current hour (several
 * times fewer rows), which becomes every key's watermark; the fold job does the rest.
 */
export const ROLLUP_MIGRATION = `${ROLLUP_SCHEMA}
UPDATE keys SET ${FOLDED} = ${HOUR_NOW};
SET LOCAL work_mem = '256MB';
${[
  ...rollupInserts('requests', { only: [0], upsert: false }),
  ...coarsen(0, 2, `bucket < ${HOUR_NOW} / ${HOUR}`, false),
  ...coarsen(0, 1, `bucket < ${HOUR_NOW} / ${HOUR}`, false),
  ...coarsen(1, WHOLE, 'TRUE', false),
].join(';\n')};
${TABLES.map((t) => `ALTER TABLE ${t.name} ADD PRIMARY KEY (${primaryKey(t)})`).join(';\n')};
`;

/**
 * The fold's statements: parameters key id ($1) and the hours [$2, $3) folded into every coarse
 * grain, then those hours' shards merged into shard 0 (readers of hours then read one row per
 * value, as before sharding).
 */
const FOLD_HOURS = 'key_id = $1 AND bucket >= $2 AND bucket < $3';
const FOLD = [
  ...COARSE.flatMap((to) => coarsen(0, to, FOLD_HOURS, true)),
  ...coarsen(0, 0, FOLD_HOURS, true, true),
];

/**
 * Folds a key's hours from its watermark up to `to` (epoch ms on a whole hour) into the coarse
 * grains and moves its watermark to `to`, in the caller's transaction (a crash leaves both as
 * they were). Locks the key's row first: batches of the key wait, and a second fold of the same
 * key (another process) waits, then finds the watermark moved and does nothing. Resolves with
 * whether it folded anything.
 */
export async function foldKeyRollups(client: pg.ClientBase, keyId: number, to: number): Promise<boolean> {
  const r = await client.query<{ w: number }>(
    `SELECT ${FOLDED} AS w FROM keys WHERE id = $1 FOR NO KEY UPDATE`,
    [keyId],
  );
  const w = r.rows[0]?.w;
  if (w === undefined || w >= to) return false;
  // The key's pending batches into its hours first: the fold reads hours, and the watermark it
  // moves must leave no pending row behind it (readers add pending rows as hours after it).
  await drainKeyRollups(client, keyId);
  const hours = [keyId, w / HOUR, to / HOUR];
  // An idle key (no hour since the watermark) only has its watermark moved.
  const any = await client.query(
    'SELECT 1 FROM rollup_totals WHERE key_id = $1 AND grain = 0 AND bucket >= $2 AND bucket < $3 LIMIT 1',
    hours,
  );
  if (any.rowCount !== 0) for (const sql of FOLD) await client.query(sql, hours);
  await client.query(`UPDATE keys SET ${FOLDED} = $2 WHERE id = $1`, [keyId, to]);
  return true;
}

/** Removes one key's rollups (in the transaction that deletes its rows). */
export async function deleteKeyRollups(client: pg.ClientBase, keyId: number): Promise<void> {
  // The queue first: a drain of the key in flight is waited for, and its rows deleted below.
  await client.query('DELETE FROM rollup_pending WHERE key_id = $1', [keyId]);
  for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table} WHERE key_id = $1`, [keyId]);
}

/**
 * For row-age retention, after the rows created before `cutoffMs` were deleted (and the months
 * before it dropped): in the caller's transaction, removes a key's rollup buckets that end at or
 * before the cutoff, and recomputes those that straddle it: the hour from the rows that remain,
 * 6 hours and the day from those hours (before the key's watermark), the whole key from the days.
 * Locks the key's row as the fold does. Resolves with whether the key had rollups before the
 * cutoff (nothing is done otherwise).
 *
 * @example
 * await store.deleteRequestsBefore(cutoff);
 * await tx((c) => deleteKeyRollupsBefore(c, keyId, cutoff));
 */
export async function deleteKeyRollupsBefore(
  client: pg.ClientBase,
  keyId: number,
  cutoffMs: number,
): Promise<boolean> {
  const lock = await client.query<{ w: number }>(
    `SELECT ${FOLDED} AS w FROM keys WHERE id = $1 FOR NO KEY UPDATE`,
    [keyId],
  );
  const w = lock.rows[0]?.w;
  if (w === undefined) return false;
  // Pending batches into their hours first: an hour recomputed below from the rows would
  // otherwise count them, and their drain again.
  await drainKeyRollups(client, keyId);
  const any = await client.query(
    'SELECT 1 FROM rollup_totals WHERE key_id = $1 AND grain = 0 AND bucket < $2 LIMIT 1',
    [keyId, Math.ceil(cutoffMs / HOUR)],
  );
  if (any.rowCount === 0) return false;
  const del = async (grain: Grain, end: number) => {
    for (const table of ROLLUP_TABLES) {
      await client.query(`DELETE FROM ${table} WHERE key_id = $1 AND grain = $2 AND bucket < $3`, [
        keyId,
        grain,
        end,
      ]);
    }
  };
  for (const [grain, width] of GRAINS) {
    if (width === 0) continue;
    const first = Math.floor(cutoffMs / width);
    const straddles = cutoffMs % width !== 0;
    await del(grain, straddles ? first + 1 : first);
    if (!straddles) continue;
    if (grain === 0) {
      const source = `(SELECT * FROM requests WHERE key_id = ${keyId} AND created_at >= ${first * width}
        AND created_at < ${(first + 1) * width})`;
      for (const sql of rollupInserts(source, { only: [0] })) await client.query(sql);
    } else {
      const end = Math.min((first + 1) * width, w);
      if (first * width >= end) continue;
      const where = `key_id = ${keyId} AND bucket >= ${(first * width) / HOUR} AND bucket < ${end / HOUR}`;
      for (const sql of coarsen(0, grain, where, false)) await client.query(sql);
    }
  }
  // The whole-key bucket again, from the remaining days.
  await del(WHOLE, 1);
  for (const sql of coarsen(1, WHOLE, `key_id = ${keyId}`, false)) await client.query(sql);
  return true;
}
