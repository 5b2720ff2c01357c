/**
 * PostgreSQL's dashboard rollups: per key and UTC time bucket, the counts every unfiltered
 * dashboard figure is made of, written in the same transaction as the rows they count (one
 * statement with the batch's INSERT), upserted with `ON CONFLICT`, so that a committed row is
 * counted exactly once. The dashboard engine reads them (`dashboard/rollup-queries.ts`).
 *
 * Two grains of the same tables: hours (grain 0, bucket = hours since the epoch) and UTC days
 * (grain 1, bucket = days since the epoch). A period is read as whole days plus the hours at
 * its edges, so its cost grows with its length in days, not with its rows.
 *
 * Every figure stays exact: response times are counted per whole-millisecond value (nearest-rank
 * percentiles merge exactly), distinct users are sets (one row per identity and bucket).
 */
import type pg from 'pg';
import { VERSION_PATTERN } from '../dashboard/sql.js';

/**
 * Rollup grains: [grain, bucket width in ms]. Buckets count from the epoch in UTC; the whole-key
 * grain has one bucket (0), read for a period holding every row of the key (`all`, and any
 * period past the key's first and last rows).
 */
export const GRAINS = [
  [0, 3_600_000],
  [1, 86_400_000],
  [2, 6 * 3_600_000],
  [3, 0],
] as const;
export type Grain = (typeof GRAINS)[number][0];
/** The whole-key grain. */
export const WHOLE = 3;
/** Grains of the tables read per timeline bucket (6 hours: the 30-day view's buckets). */
const TIMELINE_GRAINS: readonly Grain[] = [0, 1, 2, 3];
/** Grains of the tables read for whole periods only. */
const PERIOD_GRAINS: readonly Grain[] = [0, 1, 3];

/** `rollup_dims.dim` values: one table for the figures that count requests per single value. */
export const DIM = { hostname: 0, version: 1, userAgent: 2, location: 3 } as const;

/** Every rollup table, for deletion. */
export const ROLLUP_TABLES = [
  'rollup_totals',
  'rollup_times',
  'rollup_endpoints',
  'rollup_endpoint_times',
  'rollup_dims',
  'rollup_users',
  'rollup_country_users',
] as const;

/**
 * The tables (schema version 4); their primary keys follow in {@link ROLLUP_KEYS}, made after a
 * bulk build (an index built once is several times faster than one grown row by row). Values
 * that may be NULL are kept in key columns as {@link nullable} text: '' for NULL, '=' + the value
 * otherwise (unique constraints treat NULLs as distinct before PostgreSQL 15).
 */
export const ROLLUP_SCHEMA = `
CREATE TABLE rollup_totals (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  n BIGINT NOT NULL, ok BIGINT NOT NULL
);
CREATE TABLE rollup_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  response_time INTEGER NOT NULL, n BIGINT NOT NULL
);
CREATE TABLE rollup_endpoints (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, status SMALLINT NOT NULL, n BIGINT NOT NULL
);
CREATE TABLE rollup_endpoint_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, response_time INTEGER NOT NULL, n BIGINT NOT NULL
);
CREATE TABLE rollup_dims (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  dim SMALLINT NOT NULL, value TEXT NOT NULL, n BIGINT NOT NULL
);
CREATE TABLE rollup_users (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL, ident TEXT NOT NULL,
  n BIGINT NOT NULL, last_at BIGINT NOT NULL, last_id BIGINT NOT NULL, last_ip TEXT, last_location TEXT
);
CREATE TABLE rollup_country_users (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  location TEXT NOT NULL, ident TEXT NOT NULL
);
`;

/** Primary keys of the rollup tables: the conflict targets of the upserts. */
export const ROLLUP_KEYS: Record<(typeof ROLLUP_TABLES)[number], string> = {
  rollup_totals: 'key_id, grain, bucket',
  rollup_times: 'key_id, grain, bucket, response_time',
  rollup_endpoints: 'key_id, grain, bucket, method, endpoint, status',
  rollup_endpoint_times: 'key_id, grain, bucket, method, endpoint, response_time',
  rollup_dims: 'key_id, grain, bucket, dim, value',
  rollup_users: 'key_id, grain, bucket, ident',
  rollup_country_users: 'key_id, grain, bucket, location, ident',
};

/** A nullable text expression as key text: '' for NULL, '=' + the value otherwise. */
export const nullable = (expr: string) => `coalesce('=' || ${expr}, '')`;
/** The value of a {@link nullable} key column `col` (NULL for ''). */
export const unNullable = (col: string) => `CASE WHEN ${col} = '' THEN NULL ELSE substr(${col}, 2) END`;

/**
 * The statements that add the rows of `source` (a relation with the columns of `requests`) to
 * every rollup, one per table, each `INSERT … SELECT … ON CONFLICT DO UPDATE`. Grouped rows are
 * sorted by the conflict key so that concurrent batches lock rollup rows in one order (no
 * deadlock), and so that a bulk build lays each bucket's rows out together (a period's read then
 * touches few pages). `ingest` false (a bulk build into empty tables without keys) does not upsert.
 * `only` limits the grains written.
 */
export function rollupInserts(
  source: string,
  only: readonly Grain[] = [0, 1, 2, 3],
  ingest = true,
): string[] {
  const from = (grains: readonly Grain[]) => {
    const g = GRAINS.filter(([grain]) => grains.includes(grain) && only.includes(grain));
    if (g.length === 0) return null;
    const values = g.map(([grain, width]) => `(${grain}::SMALLINT, ${width}::BIGINT)`).join(', ');
    return `FROM ${source} s CROSS JOIN (VALUES ${values}) g(grain, width)`;
  };
  const head = 's.key_id, g.grain, CASE WHEN g.width = 0 THEN 0 ELSE s.created_at / g.width END::INTEGER';
  const endpoint = 'coalesce(s.route, s.path)';
  const ident = "CASE WHEN s.user_id IS NOT NULL THEN 'u' || s.user_id ELSE 'i' || s.ip_address END";
  const hasIdent = 's.user_id IS NOT NULL OR s.ip_address IS NOT NULL';
  const order = (n: number) => ` ORDER BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`;
  const upsert = (clause: string) => (ingest ? clause : '');
  const sum = (table: string, key: string, cols: string[] = ['n']) =>
    upsert(
      `ON CONFLICT (${key}) DO UPDATE SET ${cols.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`,
    );
  const statements: Array<[readonly Grain[], (from: string) => string]> = [
    [
      TIMELINE_GRAINS,
      (f) => `INSERT INTO rollup_totals AS t (key_id, grain, bucket, n, ok)
    SELECT ${head}, count(*), count(*) FILTER (WHERE s.status < 400) ${f}
    GROUP BY 1, 2, 3${order(3)}
    ${sum('t', 'key_id, grain, bucket', ['n', 'ok'])}`,
    ],
    [
      TIMELINE_GRAINS,
      (f) => `INSERT INTO rollup_times AS t (key_id, grain, bucket, response_time, n)
    SELECT ${head}, s.response_time, count(*) ${f}
    GROUP BY 1, 2, 3, 4${order(4)}
    ${sum('t', 'key_id, grain, bucket, response_time')}`,
    ],
    [
      PERIOD_GRAINS,
      (f) => `INSERT INTO rollup_endpoints AS t (key_id, grain, bucket, method, endpoint, status, n)
    SELECT ${head}, s.method, ${endpoint}, s.status, count(*) ${f}
    GROUP BY 1, 2, 3, 4, 5, 6${order(6)}
    ${sum('t', 'key_id, grain, bucket, method, endpoint, status')}`,
    ],
    [
      PERIOD_GRAINS,
      (
        f,
      ) => `INSERT INTO rollup_endpoint_times AS t (key_id, grain, bucket, method, endpoint, response_time, n)
    SELECT ${head}, s.method, ${endpoint}, s.response_time, count(*) ${f}
    GROUP BY 1, 2, 3, 4, 5, 6${order(6)}
    ${sum('t', 'key_id, grain, bucket, method, endpoint, response_time')}`,
    ],
    [
      PERIOD_GRAINS,
      (f) => `INSERT INTO rollup_dims AS t (key_id, grain, bucket, dim, value, n)
    SELECT ${head}, d.dim, d.value, count(*) ${f}
    CROSS JOIN LATERAL (VALUES (${DIM.hostname}::SMALLINT, ${nullable('s.hostname')}),
      (${DIM.version}::SMALLINT, ${nullable(`substring(s.path from '${VERSION_PATTERN}')`)}),
      (${DIM.userAgent}::SMALLINT, ${nullable('s.user_agent_id::TEXT')}),
      (${DIM.location}::SMALLINT, ${nullable('s.location')})) d(dim, value)
    GROUP BY 1, 2, 3, 4, 5${order(5)}
    ${sum('t', 'key_id, grain, bucket, dim, value')}`,
    ],
    // A user is its user id, or its IP when the row has no user id ('u' / 'i' prefixes keep the
    // two apart, as the raw query's two distinct counts do). The latest IP and country are the
    // highest id's. One row per user and bucket: a bucket's users are its row count.
    [
      TIMELINE_GRAINS,
      (
        f,
      ) => `INSERT INTO rollup_users AS t (key_id, grain, bucket, ident, n, last_at, last_id, last_ip, last_location)
    SELECT ${head}, ${ident}, count(*), max(s.created_at), max(s.id),
      (array_agg(s.ip_address ORDER BY s.id DESC))[1], (array_agg(s.location ORDER BY s.id DESC))[1]
    ${f} WHERE ${hasIdent}
    GROUP BY 1, 2, 3, 4${order(4)}
    ${upsert(`ON CONFLICT (key_id, grain, bucket, ident) DO UPDATE SET n = t.n + excluded.n,
      last_at = greatest(t.last_at, excluded.last_at), last_id = greatest(t.last_id, excluded.last_id),
      last_ip = CASE WHEN excluded.last_id > t.last_id THEN excluded.last_ip ELSE t.last_ip END,
      last_location = CASE WHEN excluded.last_id > t.last_id THEN excluded.last_location ELSE t.last_location END`)}`,
    ],
    [
      PERIOD_GRAINS,
      (f) => `INSERT INTO rollup_country_users (key_id, grain, bucket, location, ident)
    SELECT DISTINCT ${head}, ${nullable('s.location')}, ${ident} ${f} WHERE ${hasIdent}
   ${order(5)}
    ${upsert('ON CONFLICT (key_id, grain, bucket, location, ident) DO NOTHING')}`,
    ],
  ];
  return statements.flatMap(([grains, sql]) => {
    const f = from(grains);
    return f ? [sql(f)] : [];
  });
}

/**
 * A batch's INSERT (`insertRows`, an `INSERT … SELECT` into requests) and the rollup upserts of
 * its rows as one statement: its only result row is `n`, the rows inserted.
 */
export function insertWithRollups(insertRows: string): string {
  const ctes = rollupInserts('ins').map((sql, i) => `r${i} AS (${sql})`);
  return `WITH ins AS (${insertRows} RETURNING *), ${ctes.join(', ')} SELECT count(*) AS n FROM ins`;
}

/**
 * Per table: its grains, the columns after the bucket, their values when merging rows of a finer
 * grain, and the columns those are grouped by.
 */
const TABLES: Array<{
  name: string;
  grains: readonly Grain[];
  cols: string;
  merged: string;
  groups: string;
}> = [
  { name: 'rollup_totals', grains: TIMELINE_GRAINS, cols: 'n, ok', merged: 'sum(n), sum(ok)', groups: '' },
  {
    name: 'rollup_times',
    grains: TIMELINE_GRAINS,
    cols: 'response_time, n',
    merged: 'response_time, sum(n)',
    groups: 'response_time',
  },
  {
    name: 'rollup_endpoints',
    grains: PERIOD_GRAINS,
    cols: 'method, endpoint, status, n',
    merged: 'method, endpoint, status, sum(n)',
    groups: 'method, endpoint, status',
  },
  {
    name: 'rollup_endpoint_times',
    grains: PERIOD_GRAINS,
    cols: 'method, endpoint, response_time, n',
    merged: 'method, endpoint, response_time, sum(n)',
    groups: 'method, endpoint, response_time',
  },
  {
    name: 'rollup_dims',
    grains: PERIOD_GRAINS,
    cols: 'dim, value, n',
    merged: 'dim, value, sum(n)',
    groups: 'dim, value',
  },
  {
    name: 'rollup_users',
    grains: TIMELINE_GRAINS,
    cols: 'ident, n, last_at, last_id, last_ip, last_location',
    merged: `ident, sum(n), max(last_at), max(last_id), (array_agg(last_ip ORDER BY last_id DESC))[1],
      (array_agg(last_location ORDER BY last_id DESC))[1]`,
    groups: 'ident',
  },
  {
    name: 'rollup_country_users',
    grains: PERIOD_GRAINS,
    cols: 'location, ident',
    merged: 'location, ident',
    groups: 'location, ident',
  },
];

/** Statements writing grain `to` of every table from its rows of the finer grain `from` (a whole multiple). */
function coarsen(from: Grain, to: Grain): string[] {
  const width = (g: Grain) => GRAINS.find(([grain]) => grain === g)![1];
  const bucket = to === WHOLE ? '0' : `(bucket::BIGINT * ${width(from)} / ${width(to)})::INTEGER`;
  return TABLES.filter((t) => t.grains.includes(to)).map(
    (t) => `INSERT INTO ${t.name} (key_id, grain, bucket, ${t.cols})
    SELECT key_id, ${to}, ${bucket}, ${t.merged} FROM ${t.name} WHERE grain = ${from}
    GROUP BY key_id, 3${t.groups ? `, ${t.groups}` : ''} ORDER BY key_id, 3${t.groups ? `, ${t.groups}` : ''}`,
  );
}

/**
 * Schema version 4: the rollup tables, built from the stored rows: hours from the rows (one
 * pass per table, unsorted), the coarser grains from the hours (several times fewer rows).
 */
export const ROLLUP_MIGRATION = `${ROLLUP_SCHEMA}
SET LOCAL work_mem = '256MB';
${[...rollupInserts('requests', [0], false), ...coarsen(0, 2), ...coarsen(0, 1), ...coarsen(1, WHOLE)].join(';\n')};
${ROLLUP_TABLES.map((t) => `ALTER TABLE ${t} ADD PRIMARY KEY (${ROLLUP_KEYS[t]})`).join(';\n')};
`;

/** Removes one key's rollups (in the transaction that deletes its rows). */
export async function deleteKeyRollups(client: pg.ClientBase, keyId: number): Promise<void> {
  for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table} WHERE key_id = $1`, [keyId]);
}

/**
 * For row-age retention, after it deleted the rows created before `cutoffMs` (every key), in the
 * same transaction: removes the rollup buckets that end at or before the cutoff, recomputes the
 * buckets that straddle it from the rows that remain, and the whole-key buckets from the days.
 *
 * @example
 * await client.query('DELETE FROM requests WHERE created_at < $1', [cutoff]);
 * await deleteRollupsBefore(client, cutoff);
 */
export async function deleteRollupsBefore(client: pg.ClientBase, cutoffMs: number): Promise<void> {
  for (const [grain, width] of GRAINS) {
    if (width === 0) continue;
    const first = Math.floor(cutoffMs / width);
    const straddles = cutoffMs % width !== 0;
    for (const table of ROLLUP_TABLES) {
      await client.query(`DELETE FROM ${table} WHERE grain = $1 AND bucket < $2`, [
        grain,
        straddles ? first + 1 : first,
      ]);
    }
    if (straddles) {
      const source = `(SELECT * FROM requests WHERE created_at >= ${first * width} AND created_at < ${(first + 1) * width})`;
      for (const sql of rollupInserts(source, [grain])) await client.query(sql);
    }
  }
  // The whole-key buckets again, from the remaining days.
  for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table} WHERE grain = ${WHOLE}`);
  for (const sql of coarsen(1, WHOLE)) await client.query(sql);
}
