// The demo dashboard's data: two weeks of synthetic traffic the collector writes itself, topped up
// as time passes, renewed rather than accumulated, and out of reach of any API key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DASHBOARD_ID, DEMO_DEFAULTS, seedDemo } from '../src/demo/seed.js';
import { syntheticTraffic } from '../src/demo/traffic.js';
import { UserAgentCache } from '../src/ingest/user-agent.js';
import type { StoredRow } from '../src/types.js';
import { freshStore, STORES, startServer, type TestServer } from './harness.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

async function allRows(server: TestServer, keyId: number): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  for (;;) {
    const page = await server.store.queryRequests(keyId, { limit: 50_000, offset: rows.length });
    rows.push(...page);
    if (page.length < 50_000) return rows;
  }
}

describe('synthetic traffic', () => {
  it('is deterministic and can be generated in pieces', () => {
    const from = NOW - DAY;
    const whole = [...syntheticTraffic({ from, to: NOW })];
    const cut = from + 37_123_456;
    const pieces = [...syntheticTraffic({ from, to: cut }), ...syntheticTraffic({ from: cut, to: NOW })];
    expect(pieces).toEqual(whole);
    expect([...syntheticTraffic({ from, to: NOW })]).toEqual(whole);
  });

  it('has the shape of real traffic: rhythm, errors, clients, places, versions', () => {
    const rows = [...syntheticTraffic({ from: NOW - 7 * DAY, to: NOW, perHour: 600 })];
    expect(rows.length).toBeGreaterThan(7 * 24 * 600 * 0.8);
    expect(rows.length).toBeLessThan(7 * 24 * 600 * 1.2);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.created_at).toBeGreaterThanOrEqual(rows[i - 1]!.created_at);
    expect(rows.every((r) => r.created_at >= NOW - 7 * DAY && r.created_at < NOW)).toBe(true);
    // Busiest hour of the week at least three times the quietest: a daily rhythm, not a flat line.
    const hours = new Map<number, number>();
    for (const r of rows)
      hours.set(
        Math.floor(r.created_at / 3_600_000),
        (hours.get(Math.floor(r.created_at / 3_600_000)) ?? 0) + 1,
      );
    expect(Math.max(...hours.values())).toBeGreaterThan(3 * Math.min(...hours.values()));
    const classes = new Set(rows.map((r) => Math.floor(r.status / 100)));
    expect([...classes].sort()).toEqual([2, 3, 4, 5]);
    expect(new Set(rows.map((r) => r.country)).size).toBeGreaterThan(15);
    expect(new Set(rows.map((r) => r.route)).size).toBeGreaterThan(12);
    expect(new Set(rows.map((r) => r.route.split('/')[1]))).toEqual(
      new Set(['v1', 'v2', 'health', 'wp-login.php']),
    );
    expect(new Set(rows.map((r) => r.hostname)).size).toBe(3);
    const users = new Set(rows.map((r) => r.user_id ?? r.ip_address));
    expect(users.size).toBeGreaterThan(300);
    expect(rows.some((r) => /bot/i.test(r.user_agent))).toBe(true);
  });
});

describe.each(STORES)('demo dashboard on %s', (storeName) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await freshStore(storeName);
    cleanup = s.cleanup;
    server = await startServer(s.store, { now: () => NOW, demo: true, dashboardDir: false });
    await server.app.apilensDemo.ready();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  // Reads the two weeks back (some 200 000 rows) over HTTP.
  it('the collector writes two weeks of requests under the dashboard id `demo` at start', {
    timeout: 90_000,
  }, async () => {
    const key = await server.store.findKeyByDashboardId(DEMO_DASHBOARD_ID);
    expect(key).not.toBeNull();
    const rows = await allRows(server, key!.id);
    const expected = [...syntheticTraffic({ from: NOW - DEMO_DEFAULTS.days * DAY, to: NOW, perHour: 600 })];
    expect(rows.length).toBe(expected.length);
    expect(rows[0]!.created_at).toBe(expected[0]!.created_at);
    expect(rows.at(-1)!.created_at).toBe(expected.at(-1)!.created_at);
    // Enriched as ingest would: countries stored, user agents parsed.
    expect(rows.filter((r) => r.location === null)).toEqual([]);
    expect(new Set(rows.map((r) => r.browser))).toContain('Chrome');
    // API clients (python-requests, axios…) are `other`.
    expect(new Set(rows.map((r) => r.device))).toEqual(
      new Set(['desktop', 'mobile', 'tablet', 'bot', 'other']),
    );
  });

  it('a collector closed while the demo is written stops it after the current batch, with no error', async () => {
    const s = await freshStore(storeName);
    const logged: string[] = [];
    const logger = { level: 'warn', stream: { write: (line: string) => logged.push(line) } };
    const closing = await startServer(s.store, { now: () => NOW, demo: true, dashboardDir: false, logger });
    try {
      const full = [...syntheticTraffic({ from: NOW - DEMO_DEFAULTS.days * DAY, to: NOW, perHour: 600 })]
        .length;
      // The first batch is in: the rest of the two weeks is still to come.
      for (let n = 0; n === 0; await new Promise((r) => setTimeout(r, 10))) n = await s.store.countRequests();
      const started = Date.now();
      await closing.close();
      expect(Date.now() - started).toBeLessThan(9_000);
      const written = await s.store.countRequests();
      expect(written).toBeLessThan(full);
      await new Promise((r) => setTimeout(r, 300));
      expect(await s.store.countRequests()).toBe(written);
      expect(logged).toEqual([]);
    } finally {
      await s.cleanup();
    }
  });

  it('tops up as time passes, and a restart renews the week instead of adding to it', async () => {
    const agents = new UserAgentCache(100);
    const small = { ...DEMO_DEFAULTS, days: 1 };
    const first = await seedDemo(server.store, agents, NOW, small);
    const added = await first.topUp(NOW + 10 * 60_000);
    expect(added).toBe([...syntheticTraffic({ from: NOW, to: NOW + 10 * 60_000, perHour: 600 })].length);
    expect(await server.store.countRequests(first.keyId)).toBe(first.rows + added);
    expect(await first.topUp(NOW + 5 * 60_000)).toBe(0);

    const again = await seedDemo(server.store, agents, NOW + DAY, small);
    expect((await server.store.findKeyByDashboardId(DEMO_DASHBOARD_ID))!.id).toBe(again.keyId);
    expect(await server.store.countRequests(first.keyId)).toBe(0);
    expect(await server.store.countRequests(again.keyId)).toBe(again.rows);
  });
});
