import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, type NewRequestRow, type Store } from '../src/index.js';
import {
  call,
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
const T0 = Date.UTC(2026, 10, 1);

function row(i: number, over: Partial<NewRequestRow> = {}): NewRequestRow {
  return {
    hostname: i % 2 ? 'odd.example.com' : 'even.example.com',
    ipAddress: null,
    path: `/r/${i}`,
    route: '/r/:n',
    userAgent: null,
    method: 'GET',
    status: 200,
    responseTime: i % 100,
    location: null,
    userId: null,
    framework: 'Express',
    createdAt: T0 + i,
    ...over,
  };
}

describe.each(STORES)('data API (%s)', (storeName) => {
  let server: TestServer;
  let store: Store;
  let cleanup: () => Promise<void>;
  let bigKey: string;
  const BIG = 50_010;

  beforeAll(async () => {
    const s = await freshStore(storeName);
    store = s.store;
    cleanup = s.cleanup;
    server = await startServer(store);
    // A key just over one page (50 000 rows), loaded through the store.
    bigKey = (await generateKey(server.url)).api_key;
    const key = (await store.findKeyByHash(hashApiKey(bigKey)))!;
    for (let start = 0; start < BIG; start += 5000) {
      const rows = Array.from({ length: Math.min(5000, BIG - start) }, (_, j) => row(start + j));
      await store.insertRequests(key.id, rows, new Map());
    }
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('pages 50 000 rows, oldest first, stable order', async () => {
    const p1 = await getData(server.url, bigKey);
    expect(p1.status).toBe(200);
    expect(p1.json).toHaveLength(50_000);
    expect(p1.json[0].path).toBe('/r/0');
    expect(p1.json[49_999].path).toBe('/r/49999');
    const p2 = await getData(server.url, bigKey, 'page=2');
    expect(p2.json.map((r: { path: string }) => r.path)).toEqual(
      Array.from({ length: 10 }, (_, i) => `/r/${50_000 + i}`),
    );
    expect((await getData(server.url, bigKey, 'page=3')).json).toEqual([]);
    const compact = (await getData(server.url, bigKey, 'page=2&compact=true')).json;
    expect(compact[0]).toEqual([
      'hostname',
      'ip_address',
      'path',
      'route',
      'user_agent',
      'browser',
      'os',
      'device',
      'method',
      'status',
      'response_time',
      'location',
      'user_id',
      'framework',
      'created_at',
    ]);
    expect(compact).toHaveLength(11);
    expect(compact[1][2]).toBe('/r/50000');
  });

  it('streams every matching row as CSV and NDJSON (beyond one page and one chunk)', async () => {
    const res = await fetch(`${server.url}/api/data?format=csv`, { headers: { 'x-auth-token': bigKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(BIG + 2);
    expect(lines[0]).toBe(
      'hostname,ip_address,path,route,user_agent,browser,os,device,method,status,response_time,location,user_id,framework,created_at',
    );
    expect(lines[1]).toBe(
      `even.example.com,,/r/0,/r/:n,,,,,GET,200,0,,,Express,${new Date(T0).toISOString()}`,
    );
    expect(lines[BIG]).toContain(`/r/${BIG - 1},`);
    // Every row once and in order, across the database's 5 000-row steps and 128-line pieces.
    expect(lines.slice(1, BIG + 1).map((l) => l.split(',')[2])).toEqual(
      Array.from({ length: BIG }, (_, i) => `/r/${i}`),
    );
    const nd = (await getData(server.url, bigKey, 'format=ndjson&hostname=odd.example.com')).text
      .trim()
      .split('\n');
    expect(nd).toHaveLength(BIG / 2);
    expect(nd.map((l) => JSON.parse(l).path)).toEqual(
      Array.from({ length: BIG / 2 }, (_, i) => `/r/${2 * i + 1}`),
    );
    const paged = (await getData(server.url, bigKey, 'format=ndjson&page=2')).text.trim().split('\n');
    expect(paged).toHaveLength(10);
  });

  it('filters by date (whole UTC days, inclusive), hostname, ip, status, location, user id, method, route', async () => {
    const { api_key } = await generateKey(server.url);
    const rows = [
      wireRow({ created_at: '2026-11-01T00:00:00.000Z', path: '/a', hostname: 'a.com', status: 200 }),
      wireRow({
        created_at: '2026-11-01T23:59:59.999Z',
        path: '/b',
        hostname: 'b.com',
        status: 500,
        ip_address: '1.1.1.1',
      }),
      wireRow({ created_at: '2026-11-02T12:00:00', path: '/c', method: 'POST', user_id: 'u-1', route: '/c' }),
      wireRow({ created_at: '2026-11-03T00:00:00Z', path: '/d', ip_address: '2a00:1450::1', user_id: 'u-1' }),
    ];
    expect((await ingest(server.url, { api_key, framework: 'Hono', requests: rows })).json.accepted).toBe(4);
    const paths = async (q: string) => {
      const r = await getData(server.url, api_key, q);
      expect(r.status, r.text).toBe(200);
      return r.json.map((x: { path: string }) => x.path).join(',');
    };
    expect(await paths('date=2026-11-01')).toBe('/a,/b');
    expect(await paths('dateFrom=2026-11-02')).toBe('/c,/d');
    expect(await paths('dateTo=2026-11-02')).toBe('/a,/b,/c');
    expect(await paths('dateFrom=2026-11-02&dateTo=2026-11-02')).toBe('/c');
    expect(await paths('hostname=b.com')).toBe('/b');
    expect(await paths('ipAddress=1.1.1.1')).toBe('/b');
    expect(await paths('ip=2a00:1450::1')).toBe('/d');
    expect(await paths('status=500')).toBe('/b');
    expect(await paths('location=ie')).toBe('/d');
    expect(await paths('location=US')).toBe('/a,/c');
    expect(await paths('user_id=u-1')).toBe('/c,/d');
    expect(await paths('userId=u-1')).toBe('/c,/d');
    expect(await paths('userID=u-1')).toBe('/c,/d');
    expect(await paths('method=post')).toBe('/c');
    expect(await paths('route=%2Fc')).toBe('/c');
    expect(await paths('user_id=u-1&date=2026-11-03')).toBe('/d');
    expect(await paths('hostname=')).toBe('/a,/b,/c,/d');
  });

  it('answers a malformed parameter with a 400 naming it', async () => {
    const cases: [string, RegExp][] = [
      ['page=0', /"page"/],
      ['page=abc', /"page"/],
      ['date=2026-13-01', /"date"/],
      ['dateFrom=yesterday', /"dateFrom"/],
      ['dateTo=2026-02-30', /"dateTo"/],
      ['dateFrom=2026-11-03&dateTo=2026-11-01', /"dateFrom".*after "dateTo"/],
      ['status=2000', /"status"/],
      ['ip=not-an-ip', /"ip"/],
      ['location=USA', /"location"/],
      ['method=FETCH', /"method"/],
      ['format=xml', /"format"/],
      ['compact=yes', /"compact"/],
      ['status=200&status=500', /"status" is given more than once/],
      ['userId=a&user_id=b', /disagree/],
      ['colour=red', /unknown parameter "colour"/],
      ['constructor=x', /unknown parameter "constructor"/],
      ['__proto__=x', /unknown parameter "__proto__"/],
    ];
    for (const [q, message] of cases) {
      const r = await getData(server.url, bigKey, q);
      expect(r.status, q).toBe(400);
      expect(r.json.error, q).toMatch(message);
    }
  });

  it('401 without a key or with an unknown one; the legacy API-Key header works', async () => {
    const none = await getData(server.url, undefined);
    expect(none.status).toBe(401);
    expect(none.json.error).toMatch(/X-AUTH-TOKEN/);
    expect((await getData(server.url, 'no-such-key')).status).toBe(401);
    const legacy = await call(server.url, 'GET', '/api/data?page=2', { 'API-Key': bigKey });
    expect(legacy.status).toBe(200);
    expect(legacy.json).toHaveLength(10);
  });

  it('keys: generate, dashboard id, delete with counts; then the key is gone', async () => {
    const { api_key, dashboard_id } = await generateKey(server.url);
    expect(api_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(dashboard_id).not.toContain(api_key);
    const d = await call(server.url, 'GET', '/api/dashboard-id', { 'x-auth-token': api_key });
    expect(d.json).toEqual({ dashboard_id });
    expect(
      (await ingest(server.url, { api_key, requests: [wireRow(), wireRow(), wireRow()] })).json.accepted,
    ).toBe(3);
    // Only the key's SHA-256 is stored, computed here with node:crypto.
    expect(await store.findKeyByHash(api_key)).toBeNull();
    const sha256 = createHash('sha256').update(api_key).digest('hex');
    expect((await store.findKeyByHash(sha256))?.dashboardId).toBe(dashboard_id);
    const del = await call(server.url, 'DELETE', '/api/delete', { 'x-auth-token': api_key });
    expect(del.status).toBe(200);
    const none = store.createMonitor ? { monitors: 0, pings: 0 } : {};
    expect(del.json).toEqual({ deleted: { keys: 1, requests: 3, ...none } });
    expect((await getData(server.url, api_key)).status).toBe(401);
    expect((await ingest(server.url, { api_key, requests: [wireRow()] })).status).toBe(401);
    expect((await call(server.url, 'DELETE', '/api/delete', { 'x-auth-token': api_key })).status).toBe(401);
    expect((await call(server.url, 'DELETE', '/api/delete')).status).toBe(401);
  });

  it('knows a key by its SHA-256 alone: a stored hash of a fixed key opens the data API', async () => {
    const apiKey = '3f0c8a9e-6d2b-4c1a-9e5f-7a8b9c0d1e2f';
    // `printf %s 3f0c8a9e-… | sha256sum`
    const sha256 = 'eb47643c7f79dc7e1cadb5b03a468d0127ed1f4de79db5ee99a15fa8f226bfc4';
    expect(createHash('sha256').update(apiKey).digest('hex')).toBe(sha256);
    await store.createKey({ keyHash: sha256, dashboardId: 'fixed-key-dashboard', createdAt: Date.now() });
    expect((await ingest(server.url, { api_key: apiKey, requests: [wireRow()] })).json.accepted).toBe(1);
    expect((await getData(server.url, apiKey)).json).toHaveLength(1);
    const id = await call(server.url, 'GET', '/api/dashboard-id', { 'x-auth-token': apiKey });
    expect(id.json).toEqual({ dashboard_id: 'fixed-key-dashboard' });
  });

  it('health reports the store', async () => {
    const h = await call(server.url, 'GET', '/api/health');
    expect(h.status).toBe(200);
    expect(h.json).toMatchObject({
      status: 'ok',
      store: { PostgreSQL: 'postgres', DuckDB: 'duckdb' }[storeName],
      // The second migration adds monitoring; the third, ingest batch ids; PostgreSQL's fourth,
      // the dashboard rollups, and its fifth their pending queue.
      schema_version: { PostgreSQL: 5, DuckDB: 3 }[storeName],
    });
  });
});

describe.each(STORES)('retention (%s)', (storeName) => {
  it('deletes keys with no ingest and no read for 6 months, driven by an injected clock', async () => {
    const s = await freshStore(storeName);
    let now = Date.UTC(2026, 0, 15);
    const server = await startServer(s.store, { now: () => now });
    try {
      const active = await generateKey(server.url);
      const idle = await generateKey(server.url);
      for (const k of [active, idle]) {
        expect(
          (await ingest(server.url, { api_key: k.api_key, requests: [wireRow(), wireRow()] })).status,
        ).toBe(200);
      }
      now += 5 * 30 * DAY;
      expect(await server.app.apilens.runRetention()).toEqual({ keys: 0, requests: 0, oldRequests: 0 });
      // A read counts as use.
      expect((await getData(server.url, active.api_key)).status).toBe(200);
      now += 2 * 30 * DAY;
      expect(await server.app.apilens.runRetention()).toEqual({ keys: 1, requests: 2, oldRequests: 0 });
      expect((await getData(server.url, idle.api_key)).status).toBe(401);
      expect((await getData(server.url, active.api_key)).json).toHaveLength(2);
      now += 7 * 30 * DAY;
      expect(await server.app.apilens.runRetention()).toEqual({ keys: 1, requests: 2, oldRequests: 0 });
    } finally {
      await server.close();
      await s.cleanup();
    }
  });

  it('maxAgeMonths deletes requests older than that many calendar months, in keys still in use', async () => {
    const s = await freshStore(storeName);
    // 2026-03-31 12:00 UTC minus 2 calendar months is 2026-01-31 12:00 UTC.
    const now = Date.UTC(2026, 2, 31, 12);
    const cutoff = Date.UTC(2026, 0, 31, 12);
    const server = await startServer(s.store, { now: () => now, maxAgeMonths: 2, rateLimitPerMinute: 0 });
    try {
      const keys = [await generateKey(server.url), await generateKey(server.url)];
      // Rows on both sides of the cutoff, down to the millisecond, across months and years.
      const times = [
        Date.UTC(2025, 5, 1),
        Date.UTC(2025, 11, 31, 23, 59),
        Date.UTC(2026, 0, 1),
        cutoff - 1,
        cutoff,
        cutoff + 1,
        Date.UTC(2026, 1, 15),
        Date.UTC(2026, 2, 31, 11),
      ];
      for (const [k, key] of keys.entries()) {
        const rows = times.slice(k).map((t) => wireRow({ created_at: new Date(t).toISOString() }));
        expect((await ingest(server.url, { api_key: key.api_key, requests: rows })).status).toBe(200);
      }
      const kept = (k: number) => times.slice(k).filter((t) => t >= cutoff);
      const old = times.filter((t) => t < cutoff).length + times.slice(1).filter((t) => t < cutoff).length;
      expect(await server.app.apilens.runRetention()).toEqual({ keys: 0, requests: 0, oldRequests: old });
      for (const [k, key] of keys.entries()) {
        const rows = (await getData(server.url, key.api_key)).json as Array<{ created_at: string }>;
        expect(rows.map((r) => Date.parse(r.created_at))).toEqual(kept(k));
      }
      expect((await server.app.apilens.runRetention()).oldRequests).toBe(0);
    } finally {
      await server.close();
      await s.cleanup();
    }
  });

  it('honours a configured period and 0 (never)', async () => {
    const s = await freshStore(storeName);
    let now = Date.UTC(2026, 0, 15);
    const one = await startServer(s.store, { now: () => now, retentionMonths: 1 });
    const never = await startServer(s.store, { now: () => now, retentionMonths: 0 });
    try {
      await generateKey(one.url);
      now += 40 * DAY;
      expect(await never.app.apilens.runRetention()).toEqual({ keys: 0, requests: 0, oldRequests: 0 });
      expect((await one.app.apilens.runRetention()).keys).toBe(1);
    } finally {
      await one.close();
      await never.close();
      await s.cleanup();
    }
  });
});
