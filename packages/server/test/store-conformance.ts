// The storage conformance suite: the same expectations, unchanged, for every Store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewRequestRow, type Store, UnknownKeyError, type UserAgentInfo } from '../src/index.js';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const DAY = 86_400_000;

/** A row as ingest hands it to a store, with `over` replacing fields. */
export function row(over: Partial<NewRequestRow> = {}): NewRequestRow {
  return {
    hostname: 'api.example.com',
    ipAddress: '203.0.113.9',
    path: '/users/42',
    route: '/users/:id',
    userAgent: 'Mozilla/5.0 test',
    method: 'GET',
    status: 200,
    responseTime: 12,
    location: 'US',
    userId: null,
    framework: 'Express',
    createdAt: T0,
    ...over,
  };
}

const UAS = new Map<string, UserAgentInfo>([
  ['Mozilla/5.0 test', { browser: 'Chrome', os: 'Windows', device: 'desktop' }],
  ['curl/8', { browser: 'curl', os: null, device: 'other' }],
]);

let keySeq = 0;
async function newKey(store: Store, createdAt = T0) {
  keySeq++;
  return store.createKey({
    keyHash: `hash-${keySeq}-${Math.random()}`,
    dashboardId: `dash-${keySeq}-${Math.random()}`,
    createdAt,
  });
}

export function describeStore(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    beforeAll(async () => {
      fx = await makeStore();
      store = fx.store;
      await store.migrate();
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('applies migrations once and reports the schema version', async () => {
      expect(await store.migrate()).toBe(0);
      expect(await store.schemaVersion()).toBeGreaterThanOrEqual(1);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('creates keys and finds them by hash and dashboard id; hashes are unique', async () => {
      const key = await newKey(store);
      expect(key.id).toEqual(expect.any(Number));
      expect(key.lastUsedAt).toBe(T0);
      expect(await store.findKeyByHash(key.keyHash)).toEqual(key);
      expect(await store.findKeyByDashboardId(key.dashboardId)).toEqual(key);
      expect(await store.findKeyByHash('nope')).toBeNull();
      await expect(
        store.createKey({ keyHash: key.keyHash, dashboardId: 'other', createdAt: T0 }),
      ).rejects.toThrow();
    });

    it('stores a batch and reads every field back, strings exactly as sent', async () => {
      const key = await newKey(store);
      const rows = [
        row(),
        row({
          hostname: null,
          ipAddress: null,
          path: '/users/update;drop table requests;--\'"',
          route: null,
          userAgent: null,
          method: 'DELETE',
          status: 599,
          responseTime: 0,
          location: null,
          userId: 'ü-42 😀',
          framework: 'FastAPI',
          createdAt: T0 + 1,
        }),
        row({ userAgent: 'curl/8', path: 'x'.repeat(255), createdAt: T0 + 2, status: 404 }),
      ];
      expect(await store.insertRequests(key.id, rows, UAS)).toBe(3);
      const got = await store.queryRequests(key.id, { limit: 10 });
      expect(got).toHaveLength(3);
      expect(got[0]).toEqual({
        id: expect.any(Number),
        hostname: 'api.example.com',
        ip_address: '203.0.113.9',
        path: '/users/42',
        route: '/users/:id',
        user_agent: 'Mozilla/5.0 test',
        browser: 'Chrome',
        os: 'Windows',
        device: 'desktop',
        method: 'GET',
        status: 200,
        response_time: 12,
        location: 'US',
        user_id: null,
        framework: 'Express',
        created_at: T0,
      });
      expect(got[1]).toMatchObject({
        hostname: null,
        ip_address: null,
        path: '/users/update;drop table requests;--\'"',
        user_agent: null,
        browser: null,
        method: 'DELETE',
        status: 599,
        response_time: 0,
        user_id: 'ü-42 😀',
        framework: 'FastAPI',
      });
      expect(got[2]).toMatchObject({
        user_agent: 'curl/8',
        browser: 'curl',
        device: 'other',
        path: 'x'.repeat(255),
      });
      expect(await store.countRequests(key.id)).toBe(3);
    });

    it('orders by (created_at, id), pages with limit/offset and resumes after a cursor', async () => {
      const key = await newKey(store);
      // Inserted out of time order, with ties on created_at.
      const times = [5, 1, 3, 1, 5, 2, 4, 1];
      await store.insertRequests(
        key.id,
        times.map((t, i) => row({ createdAt: T0 + t, path: `/p${i}` })),
        UAS,
      );
      const all = await store.queryRequests(key.id, { limit: 100 });
      expect(all.map((r) => r.created_at - T0)).toEqual([1, 1, 1, 2, 3, 4, 5, 5]);
      expect(all.map((r) => r.path)).toEqual(['/p1', '/p3', '/p7', '/p5', '/p2', '/p6', '/p0', '/p4']);
      const page2 = await store.queryRequests(key.id, { limit: 3, offset: 3 });
      expect(page2.map((r) => r.path)).toEqual(['/p5', '/p2', '/p6']);
      const third = all[2]!;
      const after = await store.queryRequests(key.id, {
        limit: 2,
        after: { createdAt: third.created_at, id: third.id },
      });
      expect(after.map((r) => r.path)).toEqual(['/p5', '/p2']);
      const tie = all[0]!;
      const afterTie = await store.queryRequests(key.id, {
        limit: 10,
        after: { createdAt: tie.created_at, id: tie.id },
      });
      expect(afterTie.map((r) => r.path)).toEqual(all.slice(1).map((r) => r.path));
    });

    it('filters by every data API field and combines filters with AND', async () => {
      const key = await newKey(store);
      await store.insertRequests(
        key.id,
        [
          row({ createdAt: T0 - DAY, hostname: 'a.com', status: 200, method: 'GET', route: '/a' }),
          row({ createdAt: T0, hostname: 'b.com', status: 500, method: 'POST', ipAddress: '198.51.100.1' }),
          row({ createdAt: T0 + DAY, hostname: 'a.com', status: 500, location: 'DE', userId: 'u1' }),
          row({ createdAt: T0 + 2 * DAY, hostname: 'a.com', status: 404, route: '/a', userId: 'u1' }),
        ],
        UAS,
      );
      const paths = async (f: object) =>
        (await store.queryRequests(key.id, { limit: 100, ...f })).map((r) => (r.created_at - T0) / DAY);
      expect(await paths({ from: T0 })).toEqual([0, 1, 2]);
      expect(await paths({ to: T0 + DAY })).toEqual([-1, 0]);
      expect(await paths({ from: T0, to: T0 + DAY })).toEqual([0]);
      expect(await paths({ hostname: 'a.com' })).toEqual([-1, 1, 2]);
      expect(await paths({ status: 500 })).toEqual([0, 1]);
      expect(await paths({ status: 500, hostname: 'a.com' })).toEqual([1]);
      expect(await paths({ ipAddress: '198.51.100.1' })).toEqual([0]);
      expect(await paths({ location: 'DE' })).toEqual([1]);
      expect(await paths({ userId: 'u1' })).toEqual([1, 2]);
      expect(await paths({ method: 'POST' })).toEqual([0]);
      expect(await paths({ route: '/a' })).toEqual([-1, 2]);
      expect(await paths({ hostname: "a.com' OR '1'='1" })).toEqual([]);
      // Offsets combine with filters (deep pages are read in two steps).
      expect(await paths({ hostname: 'a.com', offset: 1, limit: 1 })).toEqual([1]);
      expect(await paths({ hostname: 'a.com', offset: 2 })).toEqual([2]);
      expect(await paths({ status: 500, offset: 1 })).toEqual([1]);
      expect(await paths({ offset: 4 })).toEqual([]);
      expect(await paths({ from: T0, offset: 2, limit: 5 })).toEqual([2]);
    });

    it('keeps keys apart', async () => {
      const a = await newKey(store);
      const b = await newKey(store);
      await store.insertRequests(a.id, [row({ path: '/a' })], UAS);
      await store.insertRequests(b.id, [row({ path: '/b' }), row({ path: '/b2' })], UAS);
      expect((await store.queryRequests(a.id, { limit: 10 })).map((r) => r.path)).toEqual(['/a']);
      expect(await store.countRequests(b.id)).toBe(2);
    });

    it('deletes a key with all its rows and says how many; refuses batches for a deleted key', async () => {
      const a = await newKey(store);
      const b = await newKey(store);
      await store.insertRequests(a.id, [row(), row(), row()], UAS);
      await store.insertRequests(b.id, [row()], UAS);
      // Stores with monitoring also say how many monitors and attempts went (none here).
      const none = store.createMonitor ? { monitors: 0, pings: 0 } : {};
      expect(await store.deleteKey(a.id)).toEqual({ keys: 1, requests: 3, ...none });
      expect(await store.findKeyByHash(a.keyHash)).toBeNull();
      expect(await store.countRequests(a.id)).toBe(0);
      expect(await store.countRequests(b.id)).toBe(1);
      expect(await store.deleteKey(a.id)).toEqual({ keys: 0, requests: 0, ...none });
      await expect(store.insertRequests(a.id, [row()], UAS)).rejects.toBeInstanceOf(UnknownKeyError);
      expect(await store.countRequests(a.id)).toBe(0);
    });

    it('touches last_used_at only when older than the interval and finds inactive keys', async () => {
      const old = await newKey(store, T0 - 400 * DAY);
      const fresh = await newKey(store, T0 - 400 * DAY);
      await store.touchKey(fresh.id, T0, 3_600_000);
      expect((await store.findKeyByHash(fresh.keyHash))?.lastUsedAt).toBe(T0);
      await store.touchKey(fresh.id, T0 + 1000, 3_600_000);
      expect((await store.findKeyByHash(fresh.keyHash))?.lastUsedAt).toBe(T0);
      const inactive = await store.findInactiveKeys(T0 - 180 * DAY);
      expect(inactive).toContain(old.id);
      expect(inactive).not.toContain(fresh.id);
    });

    it('stores concurrent batches completely, sharing user agents', async () => {
      const key = await newKey(store);
      const uas = new Map<string, UserAgentInfo>();
      for (let u = 0; u < 20; u++) uas.set(`agent-${u}`, { browser: `B${u}`, os: null, device: 'other' });
      const batches = Array.from({ length: 16 }, (_, b) =>
        Array.from({ length: 250 }, (_, i) =>
          row({ createdAt: T0 + b * 1000 + i, userAgent: `agent-${(b + i) % 20}` }),
        ),
      );
      const counts = await Promise.all(batches.map((rows) => store.insertRequests(key.id, rows, uas)));
      expect(counts.reduce((s, n) => s + n, 0)).toBe(4000);
      expect(await store.countRequests(key.id)).toBe(4000);
      const some = await store.queryRequests(key.id, { limit: 40 });
      for (const r of some) expect(r.browser).toBe(`B${r.user_agent!.slice(6)}`);
    });
  });
}
