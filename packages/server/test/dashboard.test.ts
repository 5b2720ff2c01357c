// Every figure of the dashboard, on DuckDB and PostgreSQL, against a brute-force computation in
// plain TypeScript over the same random rows: filters, time zones across daylight saving
// changes and half-hour offsets, period edges, SQL and quote payloads in every filter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDashboard } from '../src/dashboard/engine.js';
import { parseDashboardQuery } from '../src/dashboard/query.js';
import type { DashboardResponse } from '../src/dashboard/types.js';
import type { Store, UserAgentInfo } from '../src/index.js';
import type { SqlReader } from '../src/types.js';
import { bruteForce, prng, type TestRow } from './dashboard-brute-force.js';
import { freshStore, STORES } from './harness.js';

const UAS = new Map<string, UserAgentInfo>([
  ['Mozilla/5.0 Chrome/124', { browser: 'Chrome', os: 'Windows', device: 'desktop' }],
  ['Mozilla/5.0 Safari iPhone', { browser: 'Mobile Safari', os: 'iOS', device: 'mobile' }],
  ['Mozilla/5.0 Firefox/125', { browser: 'Firefox', os: 'Linux', device: 'desktop' }],
  ['curl/8.5.0', { browser: 'curl', os: null, device: null }],
  ['python-requests/2.31', { browser: null, os: null, device: null }],
  ['Mozilla/5.0 (compatible; Googlebot/2.1)', { browser: 'Googlebot', os: null, device: 'bot' }],
  ['UptimeRobot/2.0', { browser: null, os: null, device: null }],
  ['HeadlessChrome/124', { browser: 'Chrome Headless', os: 'Linux', device: 'desktop' }],
  ["' OR '1'='1", { browser: "'; DROP TABLE requests; --", os: '" OR ""="', device: '%' }],
]);
const AGENTS = [...UAS.keys(), null];
const ROUTES = [
  '/v1/users/:id',
  '/v1/users',
  '/v2/users/:id',
  '/v1/orders/:id',
  '/api/v10/items',
  '/dev1/thing',
  '/health',
  '/v1',
  '/v3/search',
  '/users/v2x/:id',
];
const STATUSES = [200, 200, 200, 201, 204, 101, 301, 304, 400, 401, 404, 404, 429, 500, 503];
const HOSTS = [
  'api.example.com',
  'eu.example.com',
  "host' OR 'x'='x",
  null,
  // Beyond 100 names (the list's cut), and text whose byte order differs from a locale's.
  ...Array.from({ length: 120 }, (_, i) => `h${i}.example`),
  'é.example',
  'Z.example',
  'z.example',
];
const COUNTRIES = ['US', 'DE', 'FR', 'IN', 'BR', 'JP', null];
/** Payloads sent in every filter: SQL, quotes, LIKE wildcards and the hide wildcard. */
const PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE requests; --",
  '" OR ""="',
  "\\' OR 1=1 --",
  '%',
  '_',
  '*',
  "host' OR 'x'='x",
];

const YEAR = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
// Instants the period-edge cases start and end on; rows sit exactly on them.
const EDGE_FROM = Date.UTC(2026, 5, 1, 12, 0, 0, 123);
const EDGE_TO = Date.UTC(2026, 5, 3, 7, 30, 0, 456);

function makeRows(): TestRow[] {
  const r = prng(9);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const rows: TestRow[] = [];
  // Times: the whole year, and dense around New York's daylight saving changes (Mar 8 and
  // Nov 1), Kolkata's day in the 24 h case and the edge instants.
  const focus = [Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 5, 15, 9), EDGE_FROM];
  for (let i = 0; i < 6000; i++) {
    const x = r();
    const t =
      x < 0.4
        ? YEAR + Math.floor(r() * 365 * DAY)
        : pick(focus) + Math.floor((r() - 0.5) * (x < 0.7 ? 2 * DAY : 20 * DAY));
    const routed = r() < 0.7;
    const path = routed
      ? pick(ROUTES).replace(':id', String(Math.floor(r() * 50)))
      : `/p/${Math.floor(r() * 400)}`;
    const userId = r() < 0.5 ? `user-${Math.floor(r() ** 2 * 1500)}` : r() < 0.1 ? '10.0.0.1' : null;
    rows.push({
      seq: 0,
      createdAt: r() < 0.05 && rows.length > 0 ? rows[rows.length - 1]!.createdAt : t, // ties
      hostname: pick(HOSTS),
      ipAddress: r() < 0.15 ? null : `10.0.${Math.floor(r() * 4)}.${Math.floor(r() ** 2 * 250)}`,
      path,
      route: routed ? (ROUTES.find((x) => x.replace(':id', '') === path.replace(/\d+$/, '')) ?? path) : null,
      userAgent: pick(AGENTS),
      method: r() < 0.7 ? 'GET' : pick(['POST', 'PUT', 'DELETE', 'PATCH']),
      status: pick(STATUSES),
      responseTime: r() < 0.02 ? 30_000 + Math.floor(r() * 20_000) : Math.floor(r() ** 3 * 3000),
      location: pick(COUNTRIES),
      userId,
      framework: 'Express',
    });
  }
  // Rows exactly on the edge instants, and payload values stored as data.
  for (const t of [EDGE_FROM, EDGE_TO]) {
    rows.push({ ...rows[0]!, createdAt: t, path: '/edge', route: '/edge', userId: `edge-${t}` });
  }
  for (const p of PAYLOADS) {
    rows.push({ ...rows[1]!, hostname: p, path: p, route: null, userId: p, createdAt: YEAR + 100 * DAY });
  }
  // A period whose rows carry neither a user id nor an IP: users is null, not 0.
  for (let i = 0; i < 5; i++) {
    rows.push({
      ...rows[2]!,
      hostname: 'private.example',
      userId: null,
      ipAddress: null,
      createdAt: YEAR + i,
    });
  }
  rows.forEach((row, i) => {
    row.seq = i;
  });
  return rows;
}

interface Case {
  name: string;
  /** Endpoints timed in the first pass (see TOP_TIMED), to reach the second. */
  topTimed?: number;
  query: Record<string, string | string[]>;
  now: number;
  /** The period the engine must report (checked before comparing figures). */
  period?: { from: number; to: number; previousFrom: number | null; bucket: string };
}

const NOW = Date.UTC(2026, 11, 31, 18, 0);
const FULL_YEAR = { period: 'custom', from: '2026-01-01', to: '2026-12-31' };
/** The filter cases' period: its previous period holds rows too (January and February). */
const MID_YEAR = { period: 'custom', from: '2026-03-01', to: '2026-10-31' };
const FULL_YEAR_PERIOD = {
  from: YEAR,
  to: Date.UTC(2027, 0, 1),
  previousFrom: YEAR - (Date.UTC(2027, 0, 1) - YEAR),
  bucket: '1d',
};

const CASES: Case[] = [
  { name: 'a custom year, UTC, no filter', query: FULL_YEAR, now: NOW, period: FULL_YEAR_PERIOD },
  { name: 'listed endpoints beyond the first timing pass', query: FULL_YEAR, now: NOW, topTimed: 20 },
  {
    // The second pass with a filter: its query reads the filtered rows too.
    name: 'listed endpoints beyond the first timing pass, filtered',
    query: { ...FULL_YEAR, statusClass: '2xx' },
    now: NOW,
    topTimed: 20,
  },
  {
    name: '30 d in New York across the November change (6 h buckets)',
    query: { period: '30d', tz: 'America/New_York' },
    now: Date.UTC(2026, 10, 10, 15, 17),
    period: {
      from: Date.UTC(2026, 10, 10, 17) - 30 * DAY,
      to: Date.UTC(2026, 10, 10, 17), // noon EST, the end of the 6 h bucket holding 10:17
      previousFrom: Date.UTC(2026, 10, 10, 17) - 60 * DAY,
      bucket: '6h',
    },
  },
  {
    name: '7 d in New York across the March change (1 h buckets, a skipped hour)',
    query: { period: '7d', tz: 'America/New_York' },
    now: Date.UTC(2026, 2, 10, 12, 0, 1),
    period: {
      from: Date.UTC(2026, 2, 3, 13),
      to: Date.UTC(2026, 2, 10, 13),
      previousFrom: Date.UTC(2026, 1, 24, 13),
      bucket: '1h',
    },
  },
  {
    name: '24 h in Kolkata (+05:30, 5 min buckets)',
    query: { period: '24h', tz: 'Asia/Kolkata' },
    now: Date.UTC(2026, 5, 15, 9, 3),
    period: {
      from: Date.UTC(2026, 5, 14, 9, 5),
      to: Date.UTC(2026, 5, 15, 9, 5), // 14:35 IST
      previousFrom: Date.UTC(2026, 5, 13, 9, 5),
      bucket: '5m',
    },
  },
  {
    name: '24 h in New York over the repeated hour of November 1',
    query: { period: '24h', tz: 'America/New_York' },
    now: Date.UTC(2026, 10, 1, 15),
    period: {
      from: Date.UTC(2026, 9, 31, 15, 5),
      to: Date.UTC(2026, 10, 1, 15, 5),
      previousFrom: Date.UTC(2026, 9, 30, 15, 5),
      bucket: '5m',
    },
  },
  {
    name: '6 months in Paris are calendar months',
    query: { period: '6m', tz: 'Europe/Paris' },
    now: Date.UTC(2026, 7, 31, 21, 30), // 23:30 on Aug 31 in Paris
    period: {
      from: Date.UTC(2026, 1, 28, 23), // Mar 1, 00:00 CET
      to: Date.UTC(2026, 7, 31, 22), // Sep 1, 00:00 CEST
      previousFrom: Date.UTC(2026, 1, 28, 23) - (Date.UTC(2026, 7, 31, 22) - Date.UTC(2026, 1, 28, 23)),
      bucket: '1d',
    },
  },
  {
    name: '1 year in UTC',
    query: { period: '1y' },
    now: Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    period: FULL_YEAR_PERIOD,
  },
  { name: 'all time', query: { period: 'all', tz: 'Australia/Lord_Howe' }, now: NOW },
  {
    name: 'period edges: a row at `from` counts, a row at `to` does not',
    query: {
      from: new Date(EDGE_FROM).toISOString(),
      to: new Date(EDGE_TO).toISOString(),
      tz: 'Asia/Kolkata',
    },
    now: NOW,
    period: { from: EDGE_FROM, to: EDGE_TO, previousFrom: 2 * EDGE_FROM - EDGE_TO, bucket: '1h' },
  },
  { name: 'hostname', query: { ...MID_YEAR, hostname: 'eu.example.com' }, now: NOW },
  { name: 'method', query: { ...MID_YEAR, method: 'post' }, now: NOW },
  { name: 'endpoint (a route)', query: { ...MID_YEAR, endpoint: '/v1/users/:id' }, now: NOW },
  { name: 'endpoint (a path without route)', query: { ...MID_YEAR, endpoint: '/p/7' }, now: NOW },
  { name: 'status', query: { ...MID_YEAR, status: '404' }, now: NOW },
  { name: 'statusClass', query: { ...MID_YEAR, statusClass: '5xx' }, now: NOW },
  { name: 'country', query: { ...MID_YEAR, country: 'de' }, now: NOW },
  { name: 'country unknown', query: { ...MID_YEAR, country: 'unknown' }, now: NOW },
  { name: 'browser', query: { ...MID_YEAR, browser: 'Chrome' }, now: NOW },
  { name: 'os', query: { ...MID_YEAR, os: 'iOS' }, now: NOW },
  { name: 'device', query: { ...MID_YEAR, device: 'desktop' }, now: NOW },
  { name: 'user (a user id)', query: { ...MID_YEAR, user: 'user-3' }, now: NOW },
  { name: 'user (an IP)', query: { ...MID_YEAR, user: '10.0.1.4' }, now: NOW },
  { name: 'version', query: { ...MID_YEAR, version: 'v2' }, now: NOW },
  {
    name: 'exclude404 and excludeBots',
    query: { ...MID_YEAR, exclude404: 'true', excludeBots: '1' },
    now: NOW,
  },
  { name: 'hide with wildcards', query: { ...MID_YEAR, hide: ['/v1/*', '/p/1*', '/health'] }, now: NOW },
  {
    name: 'three filters together, in New York',
    query: { ...MID_YEAR, tz: 'America/New_York', method: 'GET', statusClass: '2xx', country: 'US' },
    now: NOW,
  },
  {
    name: 'rows without user id or IP: users is null',
    query: { ...MID_YEAR, hostname: 'private.example' },
    now: NOW,
  },
  ...['hostname', 'endpoint', 'browser', 'os', 'device', 'user', 'hide'].flatMap((filter) =>
    PAYLOADS.map((p) => ({
      name: `payload ${JSON.stringify(p)} in ${filter}`,
      query: { ...FULL_YEAR, [filter]: p },
      now: NOW,
    })),
  ),
];

const reader = (store: Store): SqlReader => ({
  dialect: store.kind as SqlReader['dialect'],
  select: (sql, params) => store.select!(sql, params),
});

const stores: Array<{ name: string; store: Store; keyId: number; cleanup(): Promise<void> }> = [];
const rows = makeRows();

beforeAll(async () => {
  for (const name of STORES) {
    const { store, cleanup } = await freshStore(name);
    const key = await store.createKey({ keyHash: 'dash-key', dashboardId: 'dash-id', createdAt: YEAR });
    const other = await store.createKey({ keyHash: 'other-key', dashboardId: 'other-id', createdAt: YEAR });
    // Another key's rows in the same period must never count.
    await store.insertRequests(other.id, rows.slice(0, 500), UAS);
    for (let i = 0; i < rows.length; i += 1000)
      await store.insertRequests(key.id, rows.slice(i, i + 1000), UAS);
    stores.push({ name, store, keyId: key.id, cleanup });
  }
}, 120_000);

afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe('dashboard figures against a brute-force computation', () => {
  it.each(CASES)('$name', async ({ query, now, period, topTimed }) => {
    let expected: Omit<DashboardResponse, 'meta'> | undefined;
    for (const s of stores) {
      const got = await computeDashboard(
        reader(s.store),
        { id: s.keyId, dashboardId: 'dash-id' },
        parseDashboardQuery(query),
        now,
        s.store.kind,
        topTimed,
      );
      if (period) {
        expect(
          {
            from: got.meta.from,
            to: got.meta.to,
            previousFrom: got.meta.previousFrom,
            bucket: got.meta.bucket,
          },
          s.name,
        ).toEqual(period);
      }
      const { meta, ...figures } = got;
      expected ??= bruteForce(rows, meta, UAS);
      expect(figures, s.name).toEqual(expected);
    }
    expect(expected!.timeline.length).toBeGreaterThan(0);
  });

  it('the period-edge case counts the row at `from` and not the one at `to`', async () => {
    for (const s of stores) {
      const got = await computeDashboard(
        reader(s.store),
        { id: s.keyId, dashboardId: 'dash-id' },
        parseDashboardQuery({
          from: new Date(EDGE_FROM).toISOString(),
          to: new Date(EDGE_TO).toISOString(),
          endpoint: '/edge',
        }),
        NOW,
        s.store.kind,
      );
      expect(got.totals.requests, s.name).toBe(1);
      expect(
        got.users.map((u) => u.userId),
        s.name,
      ).toEqual([`edge-${EDGE_FROM}`]);
    }
  });

  it('payloads left every table as it was', async () => {
    for (const s of stores) {
      expect(await s.store.countRequests(s.keyId), s.name).toBe(rows.length);
      expect(await s.store.countRequests(), s.name).toBe(rows.length + 500);
    }
  });

  it('reports its definitions in meta', async () => {
    for (const s of stores) {
      const got = await computeDashboard(
        reader(s.store),
        { id: s.keyId, dashboardId: 'dash-id' },
        parseDashboardQuery(FULL_YEAR),
        NOW,
        s.store.kind,
      );
      expect(got.meta).toMatchObject({
        dashboardId: 'dash-id',
        period: 'custom',
        tz: 'UTC',
        filters: {},
        firstSeen: Math.min(...rows.map((r) => r.createdAt)),
        lastSeen: Math.max(...rows.map((r) => r.createdAt)),
        generatedAt: NOW,
        store: s.store.kind,
        approximate: { percentiles: false, users: false },
      });
    }
  });
});
