/**
 * The dashboard's queries on PostgreSQL's rollups (`store/postgres-rollups.ts`): the same rows,
 * in the same shapes, as the engine's queries over raw rows, read from per-hour and per-day
 * counts. Used when {@link rollupsCover} says the rollups hold every figure of the request
 * exactly; the engine reads raw rows otherwise.
 */
import {
  DIM,
  FOLDED,
  type Grain,
  PENDING_TABLES,
  unNullable,
  WHOLE,
  withPending,
} from '../store/postgres-rollups.js';
import type { DashboardRequest, ResolvedPeriod } from './query.js';
import { bucketWidth } from './query.js';
import type { SqlBuilder } from './sql.js';
import { offsetPieces } from './time-zone.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * True when the rollups answer this request exactly: no filter, period edges (both periods) on
 * whole UTC hours, timeline buckets of whole hours (not the 24 h view's 5 minutes), and a zone
 * whose offset over the period is a whole number of hours (not Kolkata's +05:30, Kathmandu's
 * +05:45 or Lord Howe's half-hour daylight saving), so that every rollup hour lies in one
 * timeline bucket and one hour of the heatmap.
 */
export function rollupsCover(request: DashboardRequest, period: ResolvedPeriod): boolean {
  if (Object.keys(request.filters).length > 0) return false;
  const edges = [period.from, period.to, period.previousFrom ?? period.from];
  if (edges.some((t) => t % HOUR !== 0)) return false;
  if (bucketWidth(period.bucket) % HOUR !== 0) return false;
  return offsetPieces(request.tz, period.from, period.to).every(
    (p) => p.offset % HOUR === 0 && (p.from === period.from || p.from % HOUR === 0),
  );
}

/** Timeline grains, coarsest first: [grain, width]. */
const TIMELINE: Array<[Grain, number]> = [
  [1, DAY],
  [2, 6 * HOUR],
  [0, HOUR],
];

/** What the queries need from the engine. */
export interface RollupContext {
  run(b: SqlBuilder, sql: string): Promise<unknown[][]>;
  builder(): SqlBuilder;
  keyId: number;
  period: ResolvedPeriod;
  /** The key's first and last request times (`null` without data). */
  firstSeen: number | null;
  lastSeen: number | null;
  tz: string;
  /** The engine's endpoint selection over `t` (see engine.ts). */
  selected(b: SqlBuilder): string;
  /** The engine's per-class count columns. */
  classCounts(count: string): string;
}

/**
 * The engine's queries on rollups: each returns rows exactly as its raw-row twin in engine.ts
 * does, so the engine turns both into figures with the same code.
 */
export function rollupQueries(ctx: RollupContext) {
  const { run, keyId, period, tz } = ctx;
  const current: [number, number] = [period.from, period.to];
  const previous: [number, number] | null =
    period.previousFrom === null ? null : [period.previousFrom, period.from];

  /**
   * The key's fold watermark in units of `width` ms (floored), read by each query in its own
   * statement: one snapshot holds it and the rollups it describes, even while a fold commits
   * (coarse grains hold the rows before it, hours every row; see store/postgres-rollups.ts). A
   * scalar subquery compared with `x.bucket` bounds the index scan, not just a filter after it.
   */
  const folded = (b: SqlBuilder, width: number) =>
    `(SELECT k.${FOLDED} / ${width} FROM keys k WHERE k.id = ${b.p(keyId, 'BIGINT')})`;
  /**
   * `x.<grain, bucket>` within `[from, to)`, for table alias `x`: nothing when the range holds
   * none of the key's rows; the whole-key bucket and the hours after the watermark when it holds
   * them all; else whole UTC days before the watermark, and hours for the rest.
   */
  const cover = (b: SqlBuilder, [from, to]: [number, number]): string[] => {
    const first = ctx.firstSeen;
    const last = ctx.lastSeen;
    if (first === null || last === null || to <= first || from > last) return [];
    const hours = (lo: string, hi: string) => `(x.grain = 0 AND x.bucket >= ${lo} AND x.bucket < ${hi})`;
    const end = b.p(to / HOUR);
    if (from <= first && last < to) {
      return [
        `x.grain = ${WHOLE}`,
        hours(`greatest(${b.p(from / HOUR, 'BIGINT')}, ${folded(b, HOUR)})`, end),
      ];
    }
    const d0 = Math.ceil(from / DAY);
    const d1 = Math.floor(to / DAY);
    if (d0 >= d1) return [hours(b.p(from / HOUR), end)];
    // Days [d0, folded days), hours before and after them.
    const days = `least(${b.p(d1, 'BIGINT')}, ${folded(b, DAY)})`;
    return [
      hours(b.p(from / HOUR), b.p(d0 * 24)),
      `(x.grain = 1 AND x.bucket >= ${b.p(d0)} AND x.bucket < ${days})`,
      hours(`greatest(${b.p(d0, 'BIGINT')}, ${days}) * 24`, end),
    ];
  };
  const distinctUsers = 'count(DISTINCT x.ident)';
  const key = (b: SqlBuilder) => `x.key_id = ${b.p(keyId, 'BIGINT')}`;
  /** `table`'s rows with the key's pending batches' hour rows (store/postgres-rollups.ts). */
  const hours = (b: SqlBuilder, table: string) =>
    PENDING_TABLES.includes(table) ? withPending(table, b.p(keyId, 'BIGINT')) : table;
  /**
   * `<rows> x` where `<rows>` are the rows of `table` within the parts of a cover, one index range
   * scan each (`UNION ALL`: with `OR`, the planner may scan all of the key's rows instead).
   */
  const rows = (b: SqlBuilder, table: string, parts: string[]) => {
    if (parts.length === 0) return `${table} x WHERE FALSE`;
    const k = key(b);
    const source = hours(b, table);
    return `(${parts.map((p) => `SELECT * FROM ${source} x WHERE ${k} AND ${p}`).join(' UNION ALL ')}) x WHERE TRUE`;
  };
  /** Rows of `table x` in the current period (and the previous one with `both`); `cur` tells them apart. */
  const both = (b: SqlBuilder, table: string) => {
    const cur = cover(b, current);
    const all = previous ? [...cur, ...cover(b, previous)] : cur;
    return { cur: cur.length === 0 ? 'FALSE' : `(${cur.join(' OR ')})`, from: rows(b, table, all) };
  };
  const inCurrent = (b: SqlBuilder, table: string) => rows(b, table, cover(b, current));

  // The timeline and heatmap read one grain: UTC days when a day bucket is a UTC day (a zone at
  // offset 0 throughout), hours otherwise. Rows are `r` with `created_at` = the bucket's start,
  // so that the engine's local-time expression applies unchanged.
  const width = bucketWidth(period.bucket);
  const pieces = offsetPieces(tz, period.from, period.to);
  const timelineGrain = TIMELINE.find(
    ([, w]) =>
      width % w === 0 &&
      period.from % w === 0 &&
      period.to % w === 0 &&
      pieces.every((p) => p.offset % w === 0 && (p.from === period.from || p.from % w === 0)),
  )!;
  /**
   * The timeline grain's buckets before the watermark, hours for the rest (a timeline bucket may
   * hold both: its users are counted distinct).
   */
  const perBucket = (b: SqlBuilder, table: string, cols: string, [grain, w] = timelineGrain) => {
    if (grain === 0) {
      return `(SELECT x.bucket::BIGINT * ${HOUR} AS created_at, ${cols} FROM ${hours(b, table)} x WHERE ${key(b)}
        AND x.grain = 0 AND x.bucket >= ${b.p(period.from / HOUR)} AND x.bucket < ${b.p(period.to / HOUR)}) r`;
    }
    // Coarse buckets before the watermark's, hours from its start (two range scans).
    const coarse = `least(${b.p(period.to / w, 'BIGINT')}, ${folded(b, w)})`;
    const k = key(b);
    return `(SELECT x.bucket::BIGINT * ${w} AS created_at, ${cols} FROM ${table} x
        WHERE ${k} AND x.grain = ${grain} AND x.bucket >= ${b.p(period.from / w)} AND x.bucket < ${coarse}
      UNION ALL SELECT x.bucket::BIGINT * ${HOUR}, ${cols} FROM ${hours(b, table)} x
        WHERE ${k} AND x.grain = 0 AND x.bucket >= greatest(${b.p(period.from / HOUR, 'BIGINT')}, ${coarse} * ${w / HOUR})
          AND x.bucket < ${b.p(period.to / HOUR)}) r`;
  };

  /** Nearest-rank median and p95 per `g` (columns) from `c(g…, ms, n)`, as percentile_disc computes them. */
  const percentiles = (g: string) => `SELECT ${g}, ARRAY[
      min(ms) FILTER (WHERE cum >= greatest(1, ceil(0.5::FLOAT8 * total))),
      min(ms) FILTER (WHERE cum >= greatest(1, ceil(0.95::FLOAT8 * total)))] AS p
    FROM (SELECT ${g}, ms, (sum(n) OVER (PARTITION BY ${g} ORDER BY ms))::FLOAT8 AS cum,
      (sum(n) OVER (PARTITION BY ${g}))::FLOAT8 AS total FROM c) w GROUP BY ${g}`;

  const totals = () => {
    const b = ctx.builder();
    const t = both(b, 'rollup_totals');
    const u = both(b, 'rollup_users');
    return run(
      b,
      `SELECT t.cur, t.n, coalesce(u.users, 0), t.ok
      FROM (SELECT ${t.cur} AS cur, sum(x.n)::BIGINT AS n, sum(x.ok)::BIGINT AS ok FROM ${t.from} GROUP BY 1) t
      LEFT JOIN (SELECT ${u.cur} AS cur, ${distinctUsers} AS users
        FROM ${u.from} GROUP BY 1) u
      ON u.cur = t.cur`,
    );
  };

  const responseTimes = () => {
    const b = ctx.builder();
    const t = both(b, 'rollup_times');
    return run(b, `SELECT ${t.cur}, x.response_time, sum(x.n)::BIGINT FROM ${t.from} GROUP BY 1, 2`);
  };

  const timeline = () => {
    const b = ctx.builder();
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    const tb = b.idiv(local, b.p(width, 'BIGINT'));
    return run(
      b,
      `WITH t AS (
        SELECT ${tb} AS tb, sum(r.n)::BIGINT AS n, sum(r.ok)::BIGINT AS ok
        FROM ${perBucket(b, 'rollup_totals', 'x.n, x.ok')} GROUP BY 1
      ), u AS (
        SELECT ${tb} AS tb, count(DISTINCT r.ident) AS users
        FROM ${perBucket(b, 'rollup_users', 'x.ident')} GROUP BY 1
      ), c AS (
        SELECT ${tb} AS tb, r.response_time AS ms, sum(r.n) AS n
        FROM ${perBucket(b, 'rollup_times', 'x.response_time, x.n')} GROUP BY 1, 2
      ), p AS (${percentiles('tb')})
      SELECT t.tb, t.n, coalesce(u.users, 0), t.ok, p.p FROM t JOIN p ON p.tb = t.tb LEFT JOIN u ON u.tb = t.tb`,
    );
  };

  const endpointStatuses = () => {
    const b = ctx.builder();
    return run(
      b,
      `WITH e AS (
        SELECT x.method, x.endpoint, x.status, sum(x.n)::BIGINT AS n FROM ${inCurrent(b, 'rollup_endpoints')}
        GROUP BY 1, 2, 3
      ), t AS (
        SELECT method, endpoint, sum(n) AS n, ${ctx.classCounts('sum(n)')} FROM e GROUP BY method, endpoint
      ), ${ctx.selected(b)}
      SELECT e.method, e.endpoint, e.status, e.n FROM e JOIN sel ON sel.method = e.method AND sel.endpoint = e.endpoint`,
    );
  };

  /** Median and p95 of every endpoint (or of `only`): the rollups make the busiest-first cut unnecessary. */
  const endpointTimes = (only?: Array<[string, string]>) => {
    const b = ctx.builder();
    const restrict = only
      ? ` AND (x.method, x.endpoint) IN (SELECT unnest(${b.p(only.map((e) => e[0]))}::TEXT[]), unnest(${b.p(only.map((e) => e[1]))}::TEXT[]))`
      : '';
    return run(
      b,
      `WITH c AS (
        SELECT x.method, x.endpoint, x.response_time AS ms, sum(x.n) AS n
        FROM ${inCurrent(b, 'rollup_endpoint_times')}${restrict} GROUP BY 1, 2, 3
      ) ${percentiles('method, endpoint')}`,
    );
  };

  const statusCounts = () => {
    const b = ctx.builder();
    return run(b, `SELECT x.status, sum(x.n)::BIGINT FROM ${inCurrent(b, 'rollup_endpoints')} GROUP BY 1`);
  };

  /** Requests per value of one `rollup_dims` dimension, the most frequent `limit` (ties by byte order). */
  const dimCounts = (dim: number, limit: number) => {
    const b = ctx.builder();
    return run(
      b,
      `SELECT ${unNullable('x.value')}, sum(x.n)::BIGINT FROM ${inCurrent(b, 'rollup_dims')} AND x.dim = ${dim}
      GROUP BY x.value ORDER BY 2 DESC, ${b.text(unNullable('x.value'))} NULLS LAST LIMIT ${limit}`,
    );
  };

  const heatmap = () => {
    const b = ctx.builder();
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    const hours = b.idiv(local, b.p(HOUR, 'BIGINT'));
    return run(
      b,
      `SELECT (${b.idiv(hours, '24')} + 3) % 7, ${hours} % 24, sum(r.n)::BIGINT
      FROM ${perBucket(b, 'rollup_totals', 'x.n', [0, HOUR])} GROUP BY 1, 2`,
    );
  };

  const agents = () => {
    const b = ctx.builder();
    return run(
      b,
      `SELECT GROUPING(u.browser), GROUPING(u.os), u.browser, u.os, u.device, sum(c.n)::BIGINT
      FROM (SELECT ${unNullable('x.value')}::BIGINT AS user_agent_id, sum(x.n) AS n FROM ${inCurrent(b, 'rollup_dims')}
        AND x.dim = ${DIM.userAgent} GROUP BY x.value) c
      LEFT JOIN user_agents u ON u.id = c.user_agent_id
      GROUP BY GROUPING SETS ((u.browser), (u.os), (u.device))`,
    );
  };

  const countries = () => {
    const b = ctx.builder();
    return run(
      b,
      `SELECT ${unNullable('c.location')}, c.n, coalesce(u.users, 0)
      FROM (SELECT x.value AS location, sum(x.n)::BIGINT AS n FROM ${inCurrent(b, 'rollup_dims')}
        AND x.dim = ${DIM.location} GROUP BY 1) c
      LEFT JOIN (SELECT x.location, ${distinctUsers} AS users FROM ${inCurrent(b, 'rollup_users')}
        GROUP BY 1) u ON u.location = c.location`,
    );
  };

  const users = (limit: number) => {
    const b = ctx.builder();
    const userId = "CASE WHEN left(x.ident, 1) = 'u' THEN substr(x.ident, 2) END";
    const ip = "CASE WHEN left(x.ident, 1) = 'i' THEN substr(x.ident, 2) END";
    return run(
      b,
      `SELECT ${userId}, ${ip}, sum(x.n)::BIGINT, max(x.last_at), (array_agg(x.last_ip ORDER BY x.last_id DESC))[1],
        (array_agg(${unNullable('x.location')} ORDER BY x.last_id DESC))[1]
      FROM ${inCurrent(b, 'rollup_users')} GROUP BY x.ident
      ORDER BY 3 DESC, 4 DESC, ${b.text(userId)} NULLS LAST, ${b.text(ip)} NULLS LAST
      LIMIT ${limit}`,
    );
  };

  return {
    totals,
    responseTimes,
    timeline,
    endpointStatuses,
    endpointTimes,
    statusCounts,
    hostnames: (limit: number) => dimCounts(DIM.hostname, limit),
    versions: (limit: number) => dimCounts(DIM.version, limit),
    heatmap,
    agents,
    countries,
    users,
  };
}
