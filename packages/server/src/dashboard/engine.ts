import type { SqlReader } from '../types.js';
import { bucketWidth, type DashboardRequest, type ResolvedPeriod, resolvePeriod } from './query.js';
import { CLASS_BOUNDS, ENDPOINT, SqlBuilder, USERS, whereClause } from './sql.js';
import { DAY, offsetPieces, periodBuckets } from './time-zone.js';
import type {
  ClassCounts,
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

const PERCENTILES = 'ARRAY[0.5, 0.75, 0.95, 0.99]';
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

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const usersOrNull = (n: number): number | null => (n === 0 ? null : n);
const classFilter = (column: string, c: StatusClass) =>
  `count(*) FILTER (WHERE ${column} >= ${CLASS_BOUNDS[c][0]} AND ${column} < ${CLASS_BOUNDS[c][1]})`;

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
): Promise<DashboardResponse> {
  const { dialect } = reader;
  const run = (b: SqlBuilder, sql: string) => reader.select(sql, b.params);

  const seen = new SqlBuilder(dialect);
  const [[firstSeen, lastSeen]] = (await run(
    seen,
    `SELECT min(created_at), max(created_at) FROM requests WHERE key_id = ${seen.p(key.id, 'BIGINT')}`,
  )) as [[number | null, number | null]];
  const period = resolvePeriod(request, now, firstSeen);
  const { tz, filters } = request;
  const current: [number, number] = [period.from, period.to];
  const where = (b: SqlBuilder, range = current) => whereClause(b, key.id, range, filters);
  const width = bucketWidth(period.bucket);

  const totalsQuery = () => {
    const b = new SqlBuilder(dialect);
    const range: [number, number] = [period.previousFrom ?? period.from, period.to];
    return run(
      b,
      `SELECT r.created_at >= ${b.p(period.from, 'BIGINT')}, count(*), ${USERS},
        count(*) FILTER (WHERE r.status < 400),
        percentile_disc(${PERCENTILES}) WITHIN GROUP (ORDER BY r.response_time)
      FROM requests r WHERE ${where(b, range)} GROUP BY 1`,
    );
  };

  const timelineQuery = () => {
    const b = new SqlBuilder(dialect);
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    return run(
      b,
      `SELECT ${b.idiv(local, b.p(width, 'BIGINT'))}, count(*), ${USERS},
        count(*) FILTER (WHERE r.status < 400),
        percentile_disc(${MEDIAN_P95}) WITHIN GROUP (ORDER BY r.response_time)
      FROM requests r WHERE ${where(b)} GROUP BY 1`,
    );
  };

  const histogramQuery = () => {
    const b = new SqlBuilder(dialect);
    let bin = 'CASE';
    for (let i = 1; i < HISTOGRAM_EDGES.length; i++) {
      bin += ` WHEN r.response_time < ${HISTOGRAM_EDGES[i]} THEN ${i - 1}`;
    }
    bin += ` ELSE ${HISTOGRAM_EDGES.length - 1} END`;
    return run(b, `SELECT ${bin}, count(*) FROM requests r WHERE ${where(b)} GROUP BY 1`);
  };

  // The endpoints to list: the top N by requests and the top N of each status class.
  const selectedEndpoints = (b: SqlBuilder) => {
    const rank = (count: string) =>
      `row_number() OVER (ORDER BY ${count} DESC, ${b.text('method')}, ${b.text('endpoint')})`;
    return `f AS (
        SELECT r.method, ${ENDPOINT} AS endpoint, r.status, r.response_time FROM requests r WHERE ${where(b)}
      ), e AS (
        SELECT method, endpoint, count(*) AS n, ${CLASSES.map((c, i) => `${classFilter('status', c)} AS c${i}`).join(', ')}
        FROM f GROUP BY method, endpoint
      ), s AS (
        SELECT method, endpoint FROM (
          SELECT method, endpoint, n, ${CLASSES.map((_, i) => `c${i}`).join(', ')}, ${rank('n')} AS rank_all,
            ${CLASSES.map((_, i) => `${rank(`c${i}`)} AS r${i}`).join(', ')}
          FROM e
        ) x WHERE rank_all <= ${TOP_ENDPOINTS} OR ${CLASSES.map((_, i) => `(c${i} > 0 AND r${i} <= ${TOP_ENDPOINTS})`).join(' OR ')}
      )`;
  };

  const endpointsQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `WITH ${selectedEndpoints(b)}
      SELECT f.method, f.endpoint, count(*), count(*) FILTER (WHERE f.status >= 400),
        percentile_disc(${MEDIAN_P95}) WITHIN GROUP (ORDER BY f.response_time),
        ${CLASSES.map((c) => classFilter('f.status', c)).join(', ')}
      FROM f JOIN s ON s.method = f.method AND s.endpoint = f.endpoint
      GROUP BY f.method, f.endpoint
      ORDER BY 3 DESC, ${b.text('f.method')}, ${b.text('f.endpoint')}`,
    );
  };

  const endpointStatusesQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `WITH ${selectedEndpoints(b)}
      SELECT f.method, f.endpoint, f.status, count(*)
      FROM f JOIN s ON s.method = f.method AND s.endpoint = f.endpoint
      GROUP BY f.method, f.endpoint, f.status
      ORDER BY 4 DESC, 3`,
    );
  };

  // Status codes, hostnames, versions and the hour × weekday grid in one scan.
  const dimensionsQuery = () => {
    const b = new SqlBuilder(dialect);
    const local = b.localTime(offsetPieces(tz, period.from, period.to));
    return run(
      b,
      `SELECT GROUPING(status), GROUPING(hostname), GROUPING(version), status, hostname, version, weekday, hour, count(*)
      FROM (
        SELECT r.status, r.hostname, ${b.version()} AS version,
          (${b.idiv(local, b.p(DAY, 'BIGINT'))} + 3) % 7 AS weekday,
          ${b.idiv(local, b.p(3_600_000, 'BIGINT'))} % 24 AS hour
        FROM requests r WHERE ${where(b)}
      ) d
      GROUP BY GROUPING SETS ((status), (hostname), (version), (weekday, hour))`,
    );
  };

  const agentsQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `SELECT GROUPING(u.browser), GROUPING(u.os), u.browser, u.os, u.device, sum(c.n)::BIGINT
      FROM (SELECT r.user_agent_id, count(*) AS n FROM requests r WHERE ${where(b)} GROUP BY r.user_agent_id) c
      LEFT JOIN user_agents u ON u.id = c.user_agent_id
      GROUP BY GROUPING SETS ((u.browser), (u.os), (u.device))`,
    );
  };

  const countriesQuery = () => {
    const b = new SqlBuilder(dialect);
    return run(
      b,
      `SELECT r.location, count(*), ${USERS} FROM requests r WHERE ${where(b)}
      GROUP BY r.location ORDER BY 2 DESC, ${b.text('r.location')} NULLS LAST`,
    );
  };

  const usersQuery = () => {
    const b = new SqlBuilder(dialect);
    const ipKey = 'CASE WHEN r.user_id IS NULL THEN r.ip_address END';
    return run(
      b,
      `SELECT r.user_id, ${ipKey}, count(*), max(r.created_at), ${b.latest('r.ip_address')}, ${b.latest('r.location')}
      FROM requests r WHERE ${where(b)} AND (r.user_id IS NOT NULL OR r.ip_address IS NOT NULL)
      GROUP BY r.user_id, ${ipKey}
      ORDER BY 3 DESC, 4 DESC, ${b.text('r.user_id')} NULLS LAST, ${b.text(ipKey)} NULLS LAST
      LIMIT ${TOP_USERS}`,
    );
  };

  const [
    totalsRows,
    timelineRows,
    histogramRows,
    endpointRows,
    statusRows,
    dimensionRows,
    agentRows,
    countryRows,
    userRows,
  ] = await Promise.all([
    totalsQuery(),
    timelineQuery(),
    histogramQuery(),
    endpointsQuery(),
    endpointStatusesQuery(),
    dimensionsQuery(),
    agentsQuery(),
    countriesQuery(),
    usersQuery(),
  ]);

  const totalsOf = (row: unknown[] | undefined): DashboardTotals => {
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
    const [, requests, users, success, p] = row as [boolean, number, number, number, number[]];
    return {
      requests,
      users: usersOrNull(users),
      successRate: rate(success, requests),
      errorRate: rate(requests - success, requests),
      p50: p[0]!,
      p75: p[1]!,
      p95: p[2]!,
      p99: p[3]!,
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

  const binCounts = new Map(histogramRows.map((r) => [r[0] as number, r[1] as number]));
  const histogram: HistogramBin[] = HISTOGRAM_EDGES.map((fromMs, i) => ({
    fromMs,
    toMs: HISTOGRAM_EDGES[i + 1] ?? null,
    requests: binCounts.get(i) ?? 0,
  }));

  const endpointStatuses = new Map<string, Array<{ status: number; requests: number }>>();
  for (const [method, endpoint, status, requests] of statusRows as [string, string, number, number][]) {
    const k = `${method} ${endpoint}`;
    const list = endpointStatuses.get(k) ?? [];
    if (list.length === 0) endpointStatuses.set(k, list);
    list.push({ status, requests });
  }
  const endpoints: EndpointFigures[] = endpointRows.map((r) => {
    const [method, endpoint, requests, errors, p] = r as [string, string, number, number, number[]];
    const classes = Object.fromEntries(CLASSES.map((c, i) => [c, r[5 + i] as number])) as ClassCounts;
    return {
      method,
      endpoint,
      requests,
      errorRate: errors / requests,
      p50: p[0]!,
      p95: p[1]!,
      classes,
      statuses: endpointStatuses.get(`${method} ${endpoint}`) ?? [],
    };
  });

  const statuses: Array<{ status: number; requests: number }> = [];
  const hostnames: NamedCount[] = [];
  const versions: NamedCount[] = [];
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const r of dimensionRows) {
    const [gStatus, gHost, gVersion, status, hostname, version, weekday, hour, n] = r as [
      number,
      number,
      number,
      number,
      string | null,
      string | null,
      number,
      number,
      number,
    ];
    if (gStatus === 0) statuses.push({ status, requests: n });
    else if (gHost === 0) hostnames.push({ name: hostname, requests: n });
    else if (gVersion === 0) {
      if (version !== null) versions.push({ name: version, requests: n });
    } else heatmap[weekday]![hour] = n;
  }
  statuses.sort((a, b) => b.requests - a.requests || a.status - b.status);

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
    totals: totalsOf(current0),
    previous: period.previousFrom === null ? null : totalsOf(previous0),
    timeline,
    histogram,
    endpoints,
    statuses,
    countries,
    browsers: top(browsers),
    os: top(os),
    devices: top(devices),
    hostnames: top(hostnames),
    versions: top(versions),
    heatmap,
    users,
  };
}

export type { ResolvedPeriod };
