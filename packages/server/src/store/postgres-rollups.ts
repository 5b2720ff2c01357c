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

/** Rollup grains: [grain, bucket width in ms]. */
export const GRAINS = [
  [0, 3_600_000],
  [1, 86_400_000],
] as const;
export type Grain = (typeof GRAINS)[number][0];

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
] as const;

/** The tables (schema version 4). */
export const ROLLUP_SCHEMA = `
CREATE TABLE rollup_totals (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  n BIGINT NOT NULL, ok BIGINT NOT NULL,
  PRIMARY KEY (key_id, grain, bucket)
);
CREATE TABLE rollup_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  response_time INTEGER NOT NULL, n BIGINT NOT NULL,
  PRIMARY KEY (key_id, grain, bucket, response_time)
);
CREATE TABLE rollup_endpoints (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, status SMALLINT NOT NULL, n BIGINT NOT NULL,
  PRIMARY KEY (key_id, grain, bucket, method, endpoint, status)
);
CREATE TABLE rollup_endpoint_times (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  method TEXT NOT NULL, endpoint TEXT NOT NULL, response_time INTEGER NOT NULL, n BIGINT NOT NULL,
  PRIMARY KEY (key_id, grain, bucket, method, endpoint, response_time)
);
CREATE TABLE rollup_dims (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  dim SMALLINT NOT NULL, value TEXT, n BIGINT NOT NULL,
  UNIQUE NULLS NOT DISTINCT (key_id, grain, bucket, dim, value)
);
CREATE TABLE rollup_users (
  key_id BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL,
  ident TEXT NOT NULL, location TEXT, n BIGINT NOT NULL,
  last_at BIGINT NOT NULL, last_id BIGINT NOT NULL, last_ip TEXT,
  UNIQUE NULLS NOT DISTINCT (key_id, grain, bucket, ident, location)
);
`;

/**
 * The statements that add the rows of `source` (a relation with the columns of `requests`) to
 * every rollup, one per table, each `INSERT … SELECT … ON CONFLICT DO UPDATE`. Grouped rows are
 * sorted by the conflict key so that concurrent batches lock rollup rows in one order (no
 * deadlock). `grains` limits which grains are written (recomputing one bucket).
 */
export function rollupInserts(source: string, grains: readonly Grain[] = [0, 1]): string[] {
  const g = `(VALUES ${GRAINS.filter(([grain]) => grains.includes(grain))
    .map(([grain, width]) => `(${grain}::SMALLINT, ${width}::BIGINT)`)
    .join(', ')}) g(grain, width)`;
  const from = `FROM ${source} s CROSS JOIN ${g}`;
  const head = 's.key_id, g.grain, (s.created_at / g.width)::INTEGER';
  const endpoint = 'coalesce(s.route, s.path)';
  const sum = (table: string, key: string, cols: string[] = ['n']) =>
    `ON CONFLICT (${key}) DO UPDATE SET ${cols.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;
  return [
    `INSERT INTO rollup_totals AS t (key_id, grain, bucket, n, ok)
    SELECT ${head}, count(*), count(*) FILTER (WHERE s.status < 400) ${from}
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ${sum('t', 'key_id, grain, bucket', ['n', 'ok'])}`,
    `INSERT INTO rollup_times AS t (key_id, grain, bucket, response_time, n)
    SELECT ${head}, s.response_time, count(*) ${from}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ${sum('t', 'key_id, grain, bucket, response_time')}`,
    `INSERT INTO rollup_endpoints AS t (key_id, grain, bucket, method, endpoint, status, n)
    SELECT ${head}, s.method, ${endpoint}, s.status, count(*) ${from}
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ${sum('t', 'key_id, grain, bucket, method, endpoint, status')}`,
    `INSERT INTO rollup_endpoint_times AS t (key_id, grain, bucket, method, endpoint, response_time, n)
    SELECT ${head}, s.method, ${endpoint}, s.response_time, count(*) ${from}
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ${sum('t', 'key_id, grain, bucket, method, endpoint, response_time')}`,
    `INSERT INTO rollup_dims AS t (key_id, grain, bucket, dim, value, n)
    SELECT ${head}, d.dim, d.value, count(*) ${from}
    CROSS JOIN LATERAL (VALUES (${DIM.hostname}::SMALLINT, s.hostname),
      (${DIM.version}::SMALLINT, substring(s.path from '${VERSION_PATTERN}')),
      (${DIM.userAgent}::SMALLINT, s.user_agent_id::TEXT), (${DIM.location}::SMALLINT, s.location)) d(dim, value)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ${sum('t', 'key_id, grain, bucket, dim, value')}`,
    // A user is its user id, or its IP when the row has no user id ('u' / 'i' prefixes keep the
    // two apart, as the raw query's two distinct counts do). The latest IP is the highest id's.
    `INSERT INTO rollup_users AS t (key_id, grain, bucket, ident, location, n, last_at, last_id, last_ip)
    SELECT ${head}, CASE WHEN s.user_id IS NOT NULL THEN 'u' || s.user_id ELSE 'i' || s.ip_address END,
      s.location, count(*), max(s.created_at), max(s.id), (array_agg(s.ip_address ORDER BY s.id DESC))[1]
    ${from} WHERE s.user_id IS NOT NULL OR s.ip_address IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (key_id, grain, bucket, ident, location) DO UPDATE SET n = t.n + excluded.n,
      last_at = greatest(t.last_at, excluded.last_at), last_id = greatest(t.last_id, excluded.last_id),
      last_ip = CASE WHEN excluded.last_id > t.last_id THEN excluded.last_ip ELSE t.last_ip END`,
  ];
}

/**
 * A batch's INSERT (`insertRows`, an `INSERT … SELECT` into requests) and the rollup upserts of
 * its rows as one statement: its only result row is `n`, the rows inserted.
 */
export function insertWithRollups(insertRows: string): string {
  const ctes = rollupInserts('ins').map((sql, i) => `r${i} AS (${sql})`);
  return `WITH ins AS (${insertRows} RETURNING *), ${ctes.join(', ')} SELECT count(*) AS n FROM ins`;
}

/** Schema version 4: the rollup tables, built from the rows already stored. */
export const ROLLUP_MIGRATION = `${ROLLUP_SCHEMA}
${rollupInserts('requests').join(';\n')};
`;

/** Removes one key's rollups (in the transaction that deletes its rows). */
export async function deleteKeyRollups(client: pg.ClientBase, keyId: number): Promise<void> {
  for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table} WHERE key_id = $1`, [keyId]);
}

/**
 * For row-age retention, after it deleted the rows created before `cutoffMs` (every key), in the
 * same transaction: removes the rollup buckets that end at or before the cutoff, and recomputes
 * the hour and the day that straddle it from the rows that remain.
 *
 * @example
 * await client.query('DELETE FROM requests WHERE created_at < $1', [cutoff]);
 * await deleteRollupsBefore(client, cutoff);
 */
export async function deleteRollupsBefore(client: pg.ClientBase, cutoffMs: number): Promise<void> {
  for (const [grain, width] of GRAINS) {
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
}
