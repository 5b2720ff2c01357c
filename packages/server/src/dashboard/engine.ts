import type { SqlDialect, SqlReader } from '../types.js';
import { bucketWidth, type DashboardRequest, type ResolvedPeriod, resolvePeriod } from './query.js';
import { rollupQueries, rollupsCover } from './rollup-queries.js';
import { CLASS_BOUNDS, SqlBuilder, whereClause } from './sql.js';
import { offsetPieces, periodBuckets } from './time-zone.js';
import type {
  CountryFigures,
  DashboardResponse,
  DashboardTotals,
  EndpointFigures,
  HistogramBin,
  NamedCount,
  StatusClass,
  TimelineBucket,
  UserFigures,
} from './types.js';

/** Lower edges of the response time histogram's bins (ms); the last bin is open. */
export const HISTOGRAM_EDGES = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000];
/** Endpoints listed: the top N by requests, and the top N of each status class. */
export const TOP_ENDPOINTS = 100;
/** Users listed, by requests. */
export const TOP_USERS = 1000;
/** Browsers, OS, devices, hostnames and versions listed, by requests. */
export const TOP_NAMES = 100;
/**
 * Endpoints whose percentiles the first pass computes, the busiest first: the listed ones are
 * almost always among them. (A parameter of {@link computeDashboard} so that tests can reach the
 * second pass.)
 */
export const TOP_TIMED = 2000;

const MEDIAN_P95 = 'ARRAY[0.5, 0.95]';
const CLASSES = Object.keys(CLASS_BOUNDS) as StatusClass[];

/** The key a dashboard belongs to. */
export interface DashboardKey {
  id: number;
  dashboardId: string;
}

/** Compares texts by code point (UTF-8 byte order, as the engines sort them), `null` last. */
export function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Nearest-rank percentiles from counts per value (ascending): for fraction q of n values, the
 * value at rank max(1, ceil(q * n)). What PostgreSQL's percentile_disc and DuckDB's quantile_disc
 * return; `null` for no values.
 */
export function nearestRank(counts: [number, number][], fractions: number[]): Array<number | null> {
  counts.sort((a, b) => a[0] - b[0]);
  const n = counts.reduce((sum, [, c]) => sum + c, 0);
  return fractions.map((q) => {
    if (n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * n));
    let seen = 0;
    for (const [value, c] of counts) {
      seen += c;
      if (seen >= rank) return value;
    }
    return null;
  });
}

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const usersOrNull = (n: number): number | null => (n === 0 ? null : n);

/** The key's first and last request times (`null` without data), whatever the filters. */
export async function keyBounds(reader: SqlReader, keyId: number): Promise<[number | null, number | null]> {
  if (reader.keyBounds) return reader.keyBounds(keyId);
  const b = new SqlBuilder(reader.dialect);
  const rows = await reader.select(
    `SELECT min(created_at), max(created_at) FROM requests WHERE key_id = ${b.p(keyId, 'BIGINT')}`,
    b.params,
  );
  return rows[0] as [number | null, number | null];
}

/**
 * Computes every figure of `GET /api/dashboard/<id>` with SQL on the store's engine: one query
 * per group of figures, run concurrently. Values are bound parameters throughout.
 */
export async function computeDashboard(
  reader: SqlReader,
  key: DashboardKey,
  request: DashboardRequest,
  now: number,
  storeName: string,
  topTimed = TOP_TIMED,
): Promise<DashboardResponse> {
  const [firstSeen, lastSeen] = await keyBounds(reader, key.id);
  const period = resolvePeriod(request, now, firstSeen);
  const meta = { firstSeen, lastSeen, now, storeName };
  const direct: Source = {
    select: reader.select,
    rows: (b, r) => `requests r WHERE ${whereClause(b, key.id, r, request.filters)}`,
  };
  // Every figure reads the rows directly. Reading a filtered view into a temporary table first
  // was tried and measured slower on DuckDB (30 days with 1-3 filters: 569-784 ms against 325-441
  // ms direct, bench:dashboard, 2026-11-27), and so did gathering the figures into two statements
  // over a MATERIALIZED CTE of the filtered rows (465 against 384 ms of CPU, 2026-11-28; see
  // docs/decisions.md). PostgreSQL reads its rollups when they hold the request's figures (see
  // rollup-queries.ts).
  const rollups = reader.dialect === 'postgres' && rollupsCover(request, period);
  return figures(reader.dialect, { ...direct, rollups }, key, request, period, meta, topTimed);
}

/** Where the figures read rows from: `rows(b, range)` is `<table> r WHERE <conditions>`. */
interface Source {
  select: SqlReader['select'];
  rows(b: SqlBuilder, range: [number, number]): string;
  /** Read PostgreSQL's rollups instead of rows. */
  rollups?: boolean;
}

async function figures(
  dialect: SqlDialect,
  source: Source,
  key: DashboardKey,
  request: DashboardRequest,
  period: ResolvedPeriod,
  {
    firstSeen,
    lastSeen,
    now,
    storeName,
  }: { firstSeen: number | null; lastSeen: number | null; now: number; storeName: string },
  topTimed: number,
): Promise<DashboardResponse> {
  const run = (b: SqlBuilder, sql: string) => source.select(sql, b.params);
  const { tz, filters } = request;
  const current: [number, number] = [period.from, period.to];
  const withPrevious: [number, number] = [period.previousFrom ?? period.from, period.to];
  const rows = (b: SqlBuilder, range = current) => source.rows(b, range);
  const width = bucketWidth(period.bucket);

  const totalsQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `SELECT r.created_at >= ${b.p(period.from, 'BIGINT')}, count(*), ${b.users()},
        count(*) FILTER (WHERE r.status < 400)
      FROM ${rows(b, withPrevious)} GROUP BY 1`,
    );
  };

  // Response times counted per distinct value: exact percentiles of both periods and the
  // histogram, from a few thousand rows at most (times are whole milliseconds).
  const responseTimesQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `SELECT r.created_at >= ${b.p(period.from, 'BIGINT')}, r.response_time, count(*)
      FROM ${rows(b, withPrevious)} GROUP BY 1, 2`,
    );
  };

  const timelineQuery = () => {
    const b = new SqlBuilder(dialect);
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    // Placeholders may appear more than once: bound once, used in both halves below.
    const bucket = b.idiv(local, b.p(width, 'BIGINT'));
    if (dialect === 'duckdb' && Object.keys(filters).length === 0) {
      // Users per bucket from the distinct (bucket, identity) pairs, in a second scan: a grouped
      // count(DISTINCT) of a million rows cost more (this statement's CPU, 30 days: 134-140
      // against 101-106 ms, all time 534-605 against 465-478; two runs, 2026-11-28). With filters
      // the second scan filters the rows again, which costs more than counting the few rows left
      // (30 days, 1-3 filters: 35-46 against 48-72).
      return run(
        b,
        `SELECT t.k, t.n, coalesce(u.users, 0), t.ok, t.p FROM (
          SELECT ${bucket} AS k, count(*) AS n, count(*) FILTER (WHERE r.status < 400) AS ok,
            percentile_disc(${MEDIAN_P95}) WITHIN GROUP (ORDER BY r.response_time) AS p
          FROM ${rows(b)} GROUP BY 1
        ) t LEFT JOIN (
          SELECT k, count(*) AS users FROM (
            SELECT DISTINCT ${bucket} AS k, r.identity FROM ${rows(b)} AND r.identity IS NOT NULL
          ) GROUP BY 1
        ) u ON u.k = t.k`,
      );
    }
    return run(
      b,
      `SELECT ${bucket}, count(*), ${b.users()},
        count(*) FILTER (WHERE r.status < 400),
        percentile_disc(${MEDIAN_P95}) WITHIN GROUP (ORDER BY r.response_time)
      FROM ${rows(b)} GROUP BY 1`,
    );
  };

  // The endpoints to list: the top N by requests and the top N of each status class, chosen
  // from `t` (method, endpoint, n, c0…c4 per class).
  const selected = (b: SqlBuilder, extra = '') => {
    const rank = (count: string) =>
      `row_number() OVER (ORDER BY ${count} DESC, ${b.text('method')}, ${b.text('endpoint')})`;
    return `sel AS (
        SELECT method, endpoint${extra} FROM (
          SELECT method, endpoint${extra}, n, ${CLASSES.map((_, i) => `c${i}`).join(', ')}, ${rank('n')} AS rank_all,
            ${CLASSES.map((_, i) => `${rank(`c${i}`)} AS r${i}`).join(', ')}
          FROM t
        ) x WHERE rank_all <= ${TOP_ENDPOINTS} OR ${CLASSES.map((_, i) => `(c${i} > 0 AND r${i} <= ${TOP_ENDPOINTS})`).join(' OR ')}
      )`;
  };
  const classCounts = (count: string) =>
    CLASSES.map(
      (c, i) =>
        // coalesce: a sum over no rows is NULL, which PostgreSQL would rank first.
        `coalesce(${count} FILTER (WHERE status >= ${CLASS_BOUNDS[c][0]} AND status < ${CLASS_BOUNDS[c][1]}), 0) AS c${i}`,
    ).join(', ');

  // Requests per status of the listed endpoints (their totals, classes and error rates follow).
  const endpointStatusesQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `WITH e AS (
        SELECT r.method, ${b.endpoint()} AS endpoint, r.status, count(*) AS n FROM ${rows(b)}
        GROUP BY 1, 2, 3
      ), t AS (
        SELECT method, endpoint, sum(n) AS n, ${classCounts('sum(n)')} FROM e GROUP BY method, endpoint
      ), ${selected(b)}
      SELECT e.method, e.endpoint, e.status, e.n FROM e JOIN sel ON sel.method = e.method AND sel.endpoint = e.endpoint`,
    );
  };

  // Median and p95 per endpoint, the busiest TOP_TIMED first (percentiles alone: choosing the
  // listed endpoints here as well cost half as much again). A listed endpoint beyond them, rare,
  // is timed by a second query.
  const endpointTimesQuery = (only?: Array<[string, string]>) => {
    const b = new SqlBuilder(dialect);
    const endpoint = b.endpoint();
    const restrict = only
      ? ` AND (r.method, ${endpoint}) IN (SELECT unnest(${b.p(only.map((e) => e[0]))}::VARCHAR[]), unnest(${b.p(only.map((e) => e[1]))}::VARCHAR[]))`
      : '';
    return run(
      b,
      `SELECT r.method, ${endpoint}, percentile_disc(${MEDIAN_P95}) WITHIN GROUP (ORDER BY r.response_time)
      FROM ${rows(b)}${restrict} GROUP BY 1, 2
      ${only ? '' : `ORDER BY count(*) DESC LIMIT ${b.p(topTimed)}`}`,
    );
  };

  /** Requests per value of one expression, the most frequent `limit` (ties by byte order). */
  const countsQuery = (expr: (b: SqlBuilder) => string, limit?: number) => {
    const b = new SqlBuilder(dialect);
    const e = expr(b);
    return run(
      b,
      `SELECT ${e}, count(*) FROM ${rows(b)} GROUP BY 1
      ${limit ? `ORDER BY 2 DESC, ${b.text(e)} NULLS LAST LIMIT ${limit}` : ''}`,
    );
  };

  const heatmapQuery = () => {
    const b = new SqlBuilder(dialect);
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    const hours = b.idiv(local, b.p(3_600_000, 'BIGINT'));
    // Hours since the (biased) epoch, a Thursday: weekday 0 = Monday.
    return run(
      b,
      `SELECT (${b.idiv(hours, '24')} + 3) % 7, ${hours} % 24, count(*) FROM ${rows(b)} GROUP BY 1, 2`,
    );
  };

  const agentsQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `SELECT GROUPING(u.browser), GROUPING(u.os), u.browser, u.os, u.device, sum(c.n)::BIGINT
      FROM (SELECT r.user_agent_id, count(*) AS n FROM ${rows(b)} GROUP BY r.user_agent_id) c
      LEFT JOIN user_agents u ON u.id = c.user_agent_id
      GROUP BY GROUPING SETS ((u.browser), (u.os), (u.device))`,
    );
  };

  const countriesQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(b, `SELECT r.location, count(*), ${b.users()} FROM ${rows(b)} GROUP BY 1`);
  };

  // Top users: [user id, IP (for users known by IP only), requests, last seen, latest IP, latest country].
  const usersQuery = () => {
    const b = new SqlBuilder(dialect);
    const ipKey = 'CASE WHEN r.user_id IS NULL THEN r.ip_address END';
    if (dialect === 'duckdb') {
      // Grouped by the identity hash (an integer) with the id of each group's latest row; then
      // only those rows' strings are read. The top N with ties, sorted exactly below.
      return run(
        b,
        `WITH g AS (
          SELECT r.identity, count(*) AS n, max(r.created_at) AS last, max(r.id) AS latest
          FROM ${rows(b)} AND r.identity IS NOT NULL
          GROUP BY r.identity QUALIFY rank() OVER (ORDER BY n DESC, last DESC) <= ${TOP_USERS}
        )
        SELECT r.user_id, CASE WHEN r.user_id IS NULL THEN r.ip_address END, g.n, g.last, r.ip_address, r.location
        FROM (SELECT r.id, r.user_id, r.ip_address, r.location FROM ${rows(b)}) r JOIN g ON r.id = g.latest`,
      );
    }
    return run(
      b,
      `SELECT r.user_id, ${ipKey}, count(*), max(r.created_at), ${b.latest('r.ip_address')},
        ${b.latest('r.location')}
      FROM ${rows(b)} AND (r.user_id IS NOT NULL OR r.ip_address IS NOT NULL)
      GROUP BY r.user_id, ${ipKey}
      ORDER BY 3 DESC, 4 DESC, ${b.text('r.user_id')} NULLS LAST, ${b.text(ipKey)} NULLS LAST
      LIMIT ${TOP_USERS}`,
    );
  };

  const raw = {
    totals: totalsQuery,
    responseTimes: responseTimesQuery,
    timeline: timelineQuery,
    endpointTimes: endpointTimesQuery,
    endpointStatuses: endpointStatusesQuery,
    statusCounts: () => countsQuery(() => 'r.status'),
    hostnames: (limit: number) => countsQuery(() => 'r.hostname', limit),
    versions: (limit: number) => countsQuery((b) => b.version(), limit),
    heatmap: heatmapQuery,
    agents: agentsQuery,
    countries: countriesQuery,
    users: (_limit: number) => usersQuery(),
  };
  const q = source.rollups
    ? rollupQueries({
        run,
        builder: () => new SqlBuilder(dialect),
        keyId: key.id,
        period,
        firstSeen,
        lastSeen,
        tz,
        selected,
        classCounts,
      })
    : raw;
  const [
    totalsRows,
    responseTimeRows,
    timelineRows,
    endpointTimeRows,
    statusRows,
    statusCountRows,
    hostnameRows,
    versionRows,
    heatmapRows,
    agentRows,
    countryRows,
    userRows,
  ] = await Promise.all([
    q.totals(),
    q.responseTimes(),
    q.timeline(),
    q.endpointTimes(),
    q.endpointStatuses(),
    q.statusCounts(),
    q.hostnames(TOP_NAMES),
    q.versions(TOP_NAMES + 1),
    q.heatmap(),
    q.agents(),
    q.countries(),
    q.users(TOP_USERS),
  ]);

  // Response times of each period, ascending, for nearest-rank percentiles.
  const times = { current: [] as [number, number][], previous: [] as [number, number][] };
  for (const [cur, ms, n] of responseTimeRows as [boolean, number, number][]) {
    (cur ? times.current : times.previous).push([ms, n]);
  }
  const totalsOf = (row: unknown[] | undefined, counts: [number, number][]): DashboardTotals => {
    if (!row) {
      return {
        requests: 0,
        users: null,
        successRate: null,
        errorRate: null,
        p50: null,
        p75: null,
        p95: null,
        p99: null,
      };
    }
    const [, requests, users, success] = row as [boolean, number, number, number];
    const [p50, p75, p95, p99] = nearestRank(counts, [0.5, 0.75, 0.95, 0.99]);
    return {
      requests,
      users: usersOrNull(users),
      successRate: rate(success, requests),
      errorRate: rate(requests - success, requests),
      p50: p50!,
      p75: p75!,
      p95: p95!,
      p99: p99!,
    };
  };

  const byBucket = new Map(timelineRows.map((r) => [r[0] as number, r]));
  const timeline: TimelineBucket[] = periodBuckets(tz, period.from, period.to, width).map(({ key, t }) => {
    const r = byBucket.get(key) as [number, number, number, number, number[]] | undefined;
    if (!r) return { t, requests: 0, users: null, successRate: null, p50: null, p95: null };
    return {
      t,
      requests: r[1],
      users: usersOrNull(r[2]),
      successRate: rate(r[3], r[1]),
      p50: r[4][0]!,
      p95: r[4][1]!,
    };
  });

  const bins = new Array<number>(HISTOGRAM_EDGES.length).fill(0);
  for (const [ms, n] of times.current) {
    let i = HISTOGRAM_EDGES.length - 1;
    while (ms < HISTOGRAM_EDGES[i]!) i--;
    bins[i]! += n;
  }
  const histogram: HistogramBin[] = HISTOGRAM_EDGES.map((fromMs, i) => ({
    fromMs,
    toMs: HISTOGRAM_EDGES[i + 1] ?? null,
    requests: bins[i]!,
  }));

  const byFrequency = (a: { status: number; requests: number }, b: { status: number; requests: number }) =>
    b.requests - a.requests || a.status - b.status;
  const endpointTimes = new Map(endpointTimeRows.map((r) => [`${r[0]} ${r[1]}`, r[2] as number[]]));
  const untimed = new Map<string, [string, string]>();
  for (const [method, endpoint] of statusRows as [string, string][]) {
    if (!endpointTimes.has(`${method} ${endpoint}`)) untimed.set(`${method} ${endpoint}`, [method, endpoint]);
  }
  if (untimed.size > 0) {
    for (const r of await q.endpointTimes([...untimed.values()]))
      endpointTimes.set(`${r[0]} ${r[1]}`, r[2] as number[]);
  }
  const byEndpoint = new Map<string, EndpointFigures>();
  for (const [method, endpoint, status, n] of statusRows as [string, string, number, number][]) {
    const k = `${method} ${endpoint}`;
    let e = byEndpoint.get(k);
    if (!e) {
      const p = endpointTimes.get(k) ?? [];
      e = {
        method,
        endpoint,
        requests: 0,
        errorRate: 0,
        p50: p[0]!,
        p95: p[1]!,
        classes: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
        statuses: [],
      };
      byEndpoint.set(k, e);
    }
    e.requests += n;
    if (status >= 400) e.errorRate += n;
    e.classes[`${Math.floor(status / 100)}xx` as StatusClass] += n;
    e.statuses.push({ status, requests: n });
  }
  const endpoints = [...byEndpoint.values()];
  for (const e of endpoints) {
    e.errorRate /= e.requests;
    e.statuses.sort(byFrequency);
  }
  endpoints.sort(
    (a, b) =>
      b.requests - a.requests || compareText(a.method, b.method) || compareText(a.endpoint, b.endpoint),
  );

  const statuses = (statusCountRows as [number, number][]).map(([status, requests]) => ({
    status,
    requests,
  }));
  statuses.sort(byFrequency);

  const named = (rows: unknown[][]): NamedCount[] =>
    (rows as [string | null, number][]).map(([name, requests]) => ({ name, requests }));
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const [weekday, hour, n] of heatmapRows as [number, number, number][]) heatmap[weekday]![hour] = n;

  const browsers: NamedCount[] = [];
  const os: NamedCount[] = [];
  const devices: NamedCount[] = [];
  for (const [gBrowser, gOs, browser, osName, device, n] of agentRows as [
    number,
    number,
    string | null,
    string | null,
    string | null,
    number,
  ][]) {
    if (gBrowser === 0) browsers.push({ name: browser, requests: n });
    else if (gOs === 0) os.push({ name: osName, requests: n });
    else devices.push({ name: device, requests: n });
  }
  const top = (list: NamedCount[]) =>
    list.sort((a, b) => b.requests - a.requests || compareText(a.name, b.name)).slice(0, TOP_NAMES);

  const countries: CountryFigures[] = countryRows.map((r) => ({
    country: r[0] as string | null,
    requests: r[1] as number,
    users: usersOrNull(r[2] as number),
  }));
  countries.sort((a, b) => b.requests - a.requests || compareText(a.country, b.country));

  const users: UserFigures[] = userRows.map((r) => {
    const [userId, ipKey, requests, lastSeenAt, ip, country] = r as [
      string | null,
      string | null,
      number,
      number,
      string | null,
      string | null,
    ];
    return { userId, ip: userId === null ? ipKey : ip, country, lastSeen: lastSeenAt, requests };
  });
  users.sort(
    (a, b) =>
      b.requests - a.requests ||
      b.lastSeen - a.lastSeen ||
      compareText(a.userId, b.userId) ||
      compareText(a.userId === null ? a.ip : null, b.userId === null ? b.ip : null),
  );
  users.length = Math.min(users.length, TOP_USERS);

  const current0 = totalsRows.find((r) => r[0] === true);
  const previous0 = totalsRows.find((r) => r[0] === false);
  return {
    meta: {
      dashboardId: key.dashboardId,
      period: period.period,
      from: period.from,
      to: period.to,
      previousFrom: period.previousFrom,
      tz,
      bucket: period.bucket,
      filters,
      firstSeen,
      lastSeen,
      generatedAt: now,
      store: storeName,
      approximate: { percentiles: false, users: false },
    },
    totals: totalsOf(current0, times.current),
    previous: period.previousFrom === null ? null : totalsOf(previous0, times.previous),
    timeline,
    histogram,
    endpoints,
    statuses,
    countries,
    browsers: top(browsers),
    os: top(os),
    devices: top(devices),
    hostnames: top(named(hostnameRows)),
    versions: top(named(versionRows).filter((v) => v.name !== null)),
    heatmap,
    users,
  };
}

export type { ResolvedPeriod };
