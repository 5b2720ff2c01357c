// The dashboard's figures computed the slow, obvious way, in plain TypeScript over the rows the
// test inserted, from the definitions in the server README — independently of the engine's SQL,
// its time zone arithmetic (Intl is asked about every row and every minute here) and its helpers.
import type {
  DashboardFilters,
  DashboardResponse,
  DashboardTotals,
  EndpointFigures,
  NamedCount,
  StatusClass,
} from '../src/dashboard/types.js';
import type { NewRequestRow, UserAgentInfo } from '../src/index.js';

/** mulberry32: a small seeded generator, so that tests make the same rows on every run. */
export { prng } from '../src/demo/traffic.js';

/** A row as inserted, with the id order it was inserted in. */
export interface TestRow extends NewRequestRow {
  seq: number;
}

// The README's rules, restated here so that a change in the engine shows up as a difference.
const BOT =
  /bot|crawl|spider|slurp|scrap|archiver|facebookexternalhit|preview|headless|lighthouse|pingdom|uptime/i;
const VERSION = /(?:^|\/)(v[0-9]+)(?:\/|$)/;
const EDGES = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];
const CLASS = (s: number) => `${Math.floor(s / 100)}xx` as StatusClass;
const WIDTH = { '5m': 300_000, '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 } as const;

const local = new Map<string, Intl.DateTimeFormat>();
const clocks = new Map<string, { ms: number; hour: number; weekday: number }>();
/** Wall-clock parts of instant `t` in `tz`, straight from Intl (remembered: the rows repeat). */
export function wallClock(tz: string, t: number) {
  const cacheKey = `${tz} ${t}`;
  const cached = clocks.get(cacheKey);
  if (cached) return cached;
  let f = local.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    local.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const ms = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) + (t % 1000);
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!);
  const clock = { ms, hour: +p.hour!, weekday };
  clocks.set(cacheKey, clock);
  return clock;
}

/** Code point order, nulls last (how the engines compare text byte by byte). */
function cmp(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const identity = (r: TestRow) =>
  r.userId !== null ? `u:${r.userId}` : r.ipAddress !== null ? `i:${r.ipAddress}` : null;

function countUsers(rows: TestRow[]): number | null {
  const ids = new Set(rows.map(identity).filter((x) => x !== null));
  return ids.size === 0 ? null : ids.size;
}

function totals(rows: TestRow[]): DashboardTotals {
  const times = rows.map((r) => r.responseTime).sort((a, b) => a - b);
  const ok = rows.filter((r) => r.status < 400).length;
  const n = rows.length;
  return {
    requests: n,
    users: countUsers(rows),
    successRate: n ? ok / n : null,
    errorRate: n ? (n - ok) / n : null,
    p50: percentile(times, 0.5),
    p75: percentile(times, 0.75),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
  };
}

function named(rows: TestRow[], name: (r: TestRow) => string | null, keepNull = true): NamedCount[] {
  const m = new Map<string | null, number>();
  for (const r of rows) {
    const k = name(r);
    if (k === null && !keepNull) continue;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m]
    .map(([n, requests]) => ({ name: n, requests }))
    .sort((a, b) => b.requests - a.requests || cmp(a.name, b.name))
    .slice(0, 100);
}

function groupBy<K>(rows: TestRow[], key: (r: TestRow) => K): Map<K, TestRow[]> {
  const m = new Map<K, TestRow[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}

/** Whether a row passes every filter. */
export function matches(r: TestRow, f: DashboardFilters, uas: Map<string, UserAgentInfo>): boolean {
  const endpoint = r.route ?? r.path;
  const ua = r.userAgent === null ? undefined : uas.get(r.userAgent);
  if (f.hostname !== undefined && r.hostname !== f.hostname) return false;
  if (f.method !== undefined && r.method !== f.method) return false;
  if (f.endpoint !== undefined && endpoint !== f.endpoint) return false;
  if (f.status !== undefined && r.status !== f.status) return false;
  if (f.statusClass !== undefined && CLASS(r.status) !== f.statusClass) return false;
  if (f.country !== undefined && r.location !== (f.country === 'unknown' ? null : f.country)) return false;
  if (f.browser !== undefined && ua?.browser !== f.browser) return false;
  if (f.os !== undefined && ua?.os !== f.os) return false;
  if (f.device !== undefined && ua?.device !== f.device) return false;
  if (f.user !== undefined && (r.userId ?? r.ipAddress) !== f.user) return false;
  if (f.version !== undefined && VERSION.exec(r.path)?.[1] !== f.version) return false;
  if (f.exclude404 && r.status === 404) return false;
  if (f.excludeBots && r.userAgent !== null && BOT.test(r.userAgent)) return false;
  for (const h of f.hide ?? []) if (globToRegExp(h).test(endpoint)) return false;
  return true;
}

/**
 * Every figure of the response, for the period and time zone the engine reported in `meta`
 * (the tests check `meta` separately), from `rows` of one key.
 */
export function bruteForce(
  all: TestRow[],
  meta: DashboardResponse['meta'],
  uas: Map<string, UserAgentInfo>,
): Omit<DashboardResponse, 'meta'> {
  const { from, to, previousFrom, tz, filters } = meta;
  const kept = all.filter((r) => matches(r, filters, uas));
  const rows = kept.filter((r) => r.createdAt >= from && r.createdAt < to);
  const previous =
    previousFrom === null
      ? null
      : totals(kept.filter((r) => r.createdAt >= previousFrom && r.createdAt < from));

  // Buckets: spans of local wall-clock time; each one's t is the first instant of the period in
  // it. Found by asking Intl about every 5 minutes of the period (5 min buckets) or every 15
  // (all zones' offsets, and so their changes, are whole quarter hours since 1970).
  const width = WIDTH[meta.bucket];
  const keyOf = (t: number) => Math.floor(wallClock(tz, t).ms / width);
  const step = Math.min(width, 900_000);
  const first = new Map<number, number>();
  for (let t = from; t < to; t = Math.floor(t / step) * step + step) {
    const k = keyOf(t);
    if (!first.has(k)) first.set(k, t);
  }
  const byKey = groupBy(rows, (r) => keyOf(r.createdAt));
  const timeline = [...first]
    .sort((a, b) => a[1] - b[1])
    .map(([k, t]) => {
      const b = byKey.get(k) ?? [];
      const times = b.map((r) => r.responseTime).sort((x, y) => x - y);
      return {
        t,
        requests: b.length,
        users: countUsers(b),
        successRate: b.length ? b.filter((r) => r.status < 400).length / b.length : null,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
      };
    });

  const histogram = EDGES.map((fromMs, i) => ({
    fromMs,
    toMs: EDGES[i + 1] ?? null,
    requests: rows.filter(
      (r) => r.responseTime >= fromMs && (i + 1 === EDGES.length || r.responseTime < EDGES[i + 1]!),
    ).length,
  }));

  // Endpoints: the top 100 by requests and the top 100 of each status class.
  const groups = groupBy(rows, (r) => JSON.stringify([r.method, r.route ?? r.path]));
  const all_ = [...groups].map(([k, g]) => {
    const [method, endpoint] = JSON.parse(k) as [string, string];
    const times = g.map((r) => r.responseTime).sort((a, b) => a - b);
    const classes = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    const statuses = new Map<number, number>();
    for (const r of g) {
      classes[CLASS(r.status)]++;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    return {
      method,
      endpoint,
      requests: g.length,
      errorRate: g.filter((r) => r.status >= 400).length / g.length,
      p50: percentile(times, 0.5)!,
      p95: percentile(times, 0.95)!,
      classes,
      statuses: [...statuses]
        .map(([status, requests]) => ({ status, requests }))
        .sort((a, b) => b.requests - a.requests || a.status - b.status),
    } satisfies EndpointFigures;
  });
  const order = (count: (e: EndpointFigures) => number) => (a: EndpointFigures, b: EndpointFigures) =>
    count(b) - count(a) || cmp(a.method, b.method) || cmp(a.endpoint, b.endpoint);
  const chosen = new Set(all_.sort(order((e) => e.requests)).slice(0, 100));
  for (const c of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) {
    for (const e of all_
      .filter((x) => x.classes[c] > 0)
      .sort(order((x) => x.classes[c]))
      .slice(0, 100))
      chosen.add(e);
  }
  const endpoints = [...chosen].sort(order((e) => e.requests));

  const statusCounts = new Map<number, number>();
  for (const r of rows) statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);

  const countries = [...new Set(rows.map((r) => r.location))]
    .map((country) => {
      const c = rows.filter((r) => r.location === country);
      return { country, requests: c.length, users: countUsers(c) };
    })
    .sort((a, b) => b.requests - a.requests || cmp(a.country, b.country));

  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const r of rows) {
    const w = wallClock(tz, r.createdAt);
    heatmap[w.weekday]![w.hour]!++;
  }

  // Top users: user id, else IP; IP and country of the most recently received row (null when
  // that row has none); by requests, then last seen, then user id and IP in code point order.
  const people = groupBy(
    rows.filter((r) => identity(r) !== null),
    (r) => identity(r)!,
  );
  const latest = (g: TestRow[], field: 'ipAddress' | 'location') =>
    [...g].sort((a, b) => b.seq - a.seq)[0]![field];
  const users = [...people.values()]
    .map((g) => ({
      userId: g[0]!.userId,
      ip: g[0]!.userId === null ? g[0]!.ipAddress : latest(g, 'ipAddress'),
      country: latest(g, 'location'),
      lastSeen: Math.max(...g.map((r) => r.createdAt)),
      requests: g.length,
    }))
    .sort(
      (a, b) =>
        b.requests - a.requests ||
        b.lastSeen - a.lastSeen ||
        cmp(a.userId, b.userId) ||
        cmp(a.userId === null ? a.ip : null, b.userId === null ? b.ip : null),
    )
    .slice(0, 1000);

  const agent = (field: keyof UserAgentInfo) => (r: TestRow) =>
    r.userAgent === null ? null : (uas.get(r.userAgent)?.[field] ?? null);
  return {
    totals: totals(rows),
    previous,
    timeline,
    histogram,
    endpoints,
    statuses: [...statusCounts]
      .map(([status, requests]) => ({ status, requests }))
      .sort((a, b) => b.requests - a.requests || a.status - b.status),
    countries,
    browsers: named(rows, agent('browser')),
    os: named(rows, agent('os')),
    devices: named(rows, agent('device')),
    hostnames: named(rows, (r) => r.hostname),
    versions: named(rows, (r) => VERSION.exec(r.path)?.[1] ?? null, false),
    heatmap,
    users,
  };
}
