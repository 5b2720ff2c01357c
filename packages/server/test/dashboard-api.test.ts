// The dashboard API over HTTP against a running collector, on DuckDB and PostgreSQL: credentials,
// errors, freshness after ingest, and the export against the data API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardResponse } from '../src/dashboard/types.js';
import type { Store } from '../src/index.js';
import {
  freshStore,
  generateKey,
  getData,
  ingest,
  STORES,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 12);

/** 300 rows over 3 days: every 4th a 404, every 5th from another host. */
function rows(n = 300, offset = 0) {
  return Array.from({ length: n }, (_, i) =>
    wireRow({
      path: `/items/${i % 7}`,
      route: i % 3 ? '/items/:id' : null,
      status: i % 4 === 0 ? 404 : 200,
      hostname: i % 5 === 0 ? 'b.example.com' : 'a.example.com',
      response_time: i,
      user_id: i % 2 ? `u${i % 11}` : null,
      created_at: new Date(T0 + (i + offset) * ((3 * DAY) / n)).toISOString(),
    }),
  );
}

describe.each(STORES)('dashboard API over HTTP (%s)', (storeName) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  let key: { api_key: string; dashboard_id: string };
  const now = T0 + 4 * DAY;
  const dashboard = (query = '', headers: Record<string, string> = {}, id = key.dashboard_id) =>
    fetch(`${server.url}/api/dashboard/${encodeURIComponent(id)}${query ? `?${query}` : ''}`, { headers });
  const json = async (r: Response) => ({
    status: r.status,
    body: (await r.json()) as DashboardResponse & { error?: string },
  });

  beforeAll(async () => {
    const s = await freshStore(storeName);
    cleanup = s.cleanup;
    server = await startServer(s.store, { now: () => now, rateLimitPerMinute: 0 });
    key = await generateKey(server.url);
    const r = await ingest(server.url, { api_key: key.api_key, framework: 'Express', requests: rows() });
    expect(r.json.accepted).toBe(300);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('answers every figure for the dashboard id, and the same for the API key', async () => {
    const byId = await json(await dashboard('period=7d'));
    expect(byId.status).toBe(200);
    expect(byId.body.meta).toMatchObject({
      dashboardId: key.dashboard_id,
      period: '7d',
      store: storeName === 'DuckDB' ? 'duckdb' : 'postgres',
    });
    expect(byId.body.totals.requests).toBe(300);
    expect(byId.body.statuses).toEqual([
      { status: 200, requests: 225 },
      { status: 404, requests: 75 },
    ]);
    const byKey = await json(await dashboard('period=7d', { 'x-auth-token': key.api_key }));
    expect(byKey.status).toBe(200);
    expect(byKey.body.totals).toEqual(byId.body.totals);
  });

  it('404 for an unknown dashboard id; 401 for an unknown key; 404 for a key with another id', async () => {
    const unknown = await json(await dashboard('', {}, 'no-such-dashboard'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no dashboard "no-such-dashboard"/);
    expect((await dashboard('', { 'x-auth-token': 'not-a-key' })).status).toBe(401);
    const other = await generateKey(server.url);
    const mismatch = await json(await dashboard('', { 'x-auth-token': other.api_key }));
    expect(mismatch.status).toBe(404);
    expect(mismatch.body.error).toMatch(/another dashboard id/);
  });

  it('400 naming an unknown parameter or a bad value', async () => {
    const cases: Array<[string, RegExp]> = [
      ['colour=red', /unknown parameter "colour"/],
      ['period=2w', /parameter "period" must be one of 24h, 7d, 30d, 6m, 1y, all, custom/],
      ['tz=Mars%2FOlympus', /parameter "tz" must be an IANA time zone/],
      ['status=99', /parameter "status"/],
      ['statusClass=6xx', /parameter "statusClass"/],
      ['method=FETCH', /parameter "method"/],
      ['country=USA', /parameter "country"/],
      ['version=1', /parameter "version"/],
      ['exclude404=yes', /parameter "exclude404" must be true or false/],
      ['from=2026-02-30&to=2026-03-01', /parameter "from"/],
      ['from=2026-03-02&to=2026-03-01', /"from" must be before "to"/],
      ['from=2026-03-01', /needs both "from" and "to"/],
      ['period=7d&from=2026-03-01&to=2026-03-02', /"period" \(7d\) and "from"\/"to" disagree/],
      ['status=200&statusClass=2xx', /give one of them/],
      ['hostname=a&hostname=b', /"hostname" is given more than once/],
      ['from=1990-01-01&to=2026-01-01', /longer than 10 years/],
    ];
    for (const [query, message] of cases) {
      const r = await json(await dashboard(query));
      expect(r.status, query).toBe(400);
      expect(r.body.error, query).toMatch(message);
    }
  });

  it('shows a batch in the very next request after its ingest is acknowledged', async () => {
    const before = await json(await dashboard('period=all'));
    // A second identical request may come from the cache: it must still be right.
    expect((await json(await dashboard('period=all'))).body.totals).toEqual(before.body.totals);
    const r = await ingest(server.url, { api_key: key.api_key, framework: 'Express', requests: rows(40, 1) });
    expect(r.json.accepted).toBe(40);
    const after = await json(await dashboard('period=all'));
    expect(after.body.totals.requests).toBe(before.body.totals.requests + 40);
    expect(after.body.meta.lastSeen).toBeGreaterThanOrEqual(before.body.meta.lastSeen!);
  });

  it('exports the period’s filtered rows as the data API writes them (CSV and NDJSON)', async () => {
    const range = 'from=2026-11-21&to=2026-11-22'; // two UTC days, `to` inclusive
    for (const format of ['csv', 'ndjson']) {
      const exported = await fetch(
        `${server.url}/api/dashboard/${key.dashboard_id}/export?format=${format}&${range}&status=404&hostname=a.example.com`,
      );
      expect(exported.status).toBe(200);
      const data = await getData(
        server.url,
        key.api_key,
        `format=${format}&dateFrom=2026-11-21&dateTo=2026-11-22&status=404&hostname=a.example.com`,
      );
      const text = await exported.text();
      expect(text).toBe(data.text);
      expect(text.split('\n').length).toBeGreaterThan(10);
      expect(exported.headers.get('content-type')).toBe(data.headers.get('content-type'));
    }
    const bad = await fetch(`${server.url}/api/dashboard/${key.dashboard_id}/export?format=xlsx`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /parameter "format" must be csv or ndjson/,
    );
  });

  it('binds SQL and quote payloads in every filter as values', async () => {
    const payloads = ["' OR '1'='1", "'; DROP TABLE requests; --", '" OR ""="', '\\', '%', '_'];
    for (const p of payloads) {
      for (const filter of ['hostname', 'endpoint', 'browser', 'os', 'device', 'user', 'hide']) {
        const r = await json(await dashboard(`period=all&${filter}=${encodeURIComponent(p)}`));
        expect(r.status, `${filter}=${p}`).toBe(200);
        expect(r.body.totals.requests, `${filter}=${p}`).toBe(filter === 'hide' ? 340 : 0);
      }
    }
    expect((await json(await dashboard('period=all'))).body.totals.requests).toBe(340);
  });
});

describe('dashboard response cache (DuckDB)', () => {
  it('repeats a response without querying while the key has no new data, and not after a batch', async () => {
    const s = await freshStore('DuckDB');
    let queries = 0;
    const counting: Store = {
      ...s.store,
      select(sql, params) {
        queries++;
        return s.store.select!(sql, params);
      },
    };
    const server = await startServer(counting, { rateLimitPerMinute: 0 });
    try {
      const key = await generateKey(server.url);
      const send = (n: number) =>
        ingest(server.url, { api_key: key.api_key, requests: rows(n) }).then((r) =>
          expect(r.json.accepted).toBe(n),
        );
      const get = async () => {
        const before = queries;
        const r = await fetch(`${server.url}/api/dashboard/${key.dashboard_id}?period=all`);
        const body = (await r.json()) as DashboardResponse;
        return { queries: queries - before, requests: body.totals.requests };
      };
      await send(10);
      expect(await get()).toEqual({ queries: expect.any(Number), requests: 10 });
      expect(await get()).toEqual({ queries: 0, requests: 10 });
      await send(5);
      const after = await get();
      expect(after.requests).toBe(15);
      expect(after.queries).toBeGreaterThan(0);
      expect(await get()).toEqual({ queries: 0, requests: 15 });
    } finally {
      await server.close();
      await s.cleanup();
    }
  });

  it('keeps each key’s first and last request times up to date from its batches', async () => {
    // The store reads them once and then extends them with every committed batch (keyBounds).
    const s = await freshStore('DuckDB');
    const server = await startServer(s.store, { now: () => T0 + 30 * DAY, rateLimitPerMinute: 0 });
    try {
      const key = await generateKey(server.url);
      const meta = async () => {
        const r = await fetch(`${server.url}/api/dashboard/${key.dashboard_id}?period=all`);
        return ((await r.json()) as DashboardResponse).meta;
      };
      const at = (t: number) => wireRow({ created_at: new Date(t).toISOString() });
      const send = async (times: number[]) => {
        const r = await ingest(server.url, { api_key: key.api_key, requests: times.map(at) });
        expect(r.json.accepted).toBe(times.length);
      };
      await send([T0 + DAY, T0 + 2 * DAY]);
      expect(await meta()).toMatchObject({ firstSeen: T0 + DAY, lastSeen: T0 + 2 * DAY });
      // Batches earlier and later than everything so far, and one in between.
      await send([T0 + 3 * DAY]);
      await send([T0 - 5 * DAY, T0 + 1.5 * DAY]);
      expect(await meta()).toMatchObject({ firstSeen: T0 - 5 * DAY, lastSeen: T0 + 3 * DAY });
      await send([T0 + 9 * DAY]);
      expect(await meta()).toMatchObject({ firstSeen: T0 - 5 * DAY, lastSeen: T0 + 9 * DAY });
    } finally {
      await server.close();
      await s.cleanup();
    }
  });
});
