// The monitoring part of the storage conformance suite: the same expectations for every store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DueMonitor, JITTER } from '../../src/monitor/pinger.js';
import type { MonitorStore, NewMonitor, StoredMonitor } from '../../src/monitor/store-types.js';
import type { Attempt } from '../../src/monitor/types.js';
import { BASE_SLOT_MS } from '../../src/monitor/uptime.js';
import type { KeyRecord, Store } from '../../src/types.js';

export interface MonitorStoreFixture {
  store: Store & MonitorStore;
  /** A second store on the same database, as another collector process would open (PostgreSQL only). */
  second?: Store & MonitorStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const MIN = 60_000;

let seq = 0;
async function newKey(store: Store): Promise<KeyRecord> {
  seq++;
  return store.createKey({
    keyHash: `mon-hash-${seq}-${Math.random()}`,
    dashboardId: `mon-dash-${seq}-${Math.random()}`,
    createdAt: T0,
  });
}

function monitor(key: KeyRecord, over: Partial<NewMonitor> = {}): NewMonitor {
  seq++;
  return {
    id: `mon${seq}${Math.random().toString(36).slice(2, 8)}`,
    keyId: key.id,
    url: `https://api.example.com/health/${seq}`,
    method: 'GET',
    intervalSeconds: 60,
    expectStatus: null,
    createdAt: T0,
    nextDueAt: T0,
    ...over,
  };
}

/** A stored monitor as the pinger claims it. */
const dueOf = (m: StoredMonitor): DueMonitor => ({
  id: m.id,
  keyId: m.keyId,
  url: m.url,
  method: m.method,
  expectStatus: m.expectStatus,
  intervalSeconds: m.intervalSeconds,
});

function created(r: StoredMonitor | { refused: string }): StoredMonitor {
  if ('refused' in r) throw new Error(`monitor refused: ${r.refused}`);
  return r;
}

const ok = (at: number, responseMs = 20): Attempt => ({
  at,
  responseMs,
  status: 200,
  failure: null,
  detail: null,
});
const failed = (at: number): Attempt => ({
  at,
  responseMs: 10_000,
  status: null,
  failure: 'timeout',
  detail: 'no response within 10000 ms',
});

/**
 * The suite. `shared`: the fixture has a `second` store on the same database (several collector
 * processes are a supported deployment on it), and the claim test races the two.
 */
export function describeMonitorStore(
  name: string,
  make: () => Promise<MonitorStoreFixture>,
  options: { shared: boolean },
): void {
  describe(`Monitor store conformance: ${name}`, () => {
    let fx: MonitorStoreFixture;
    let store: Store & MonitorStore;
    beforeAll(async () => {
      fx = await make();
      store = fx.store;
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('creates, lists and deletes monitors, reading every field back', async () => {
      const key = await newKey(store);
      const a = created(
        await store.createMonitor(
          monitor(key, { method: 'HEAD', expectStatus: 204, intervalSeconds: 120 }),
          10,
        ),
      );
      const b = created(await store.createMonitor(monitor(key, { createdAt: T0 + 1 }), 10));
      expect(a).toMatchObject({
        keyId: key.id,
        method: 'HEAD',
        expectStatus: 204,
        intervalSeconds: 120,
        createdAt: T0,
      });
      expect(a.health).toEqual({ state: 'unknown', since: null, consecutiveFailures: 0, failingSince: null });
      expect(a.lastAttempt).toBeNull();
      expect(await store.listMonitors(key.id)).toEqual([a, b]);
      expect(await store.deleteMonitor(key.id, a.id)).toEqual({ monitors: 1, pings: 0 });
      expect(await store.deleteMonitor(key.id, a.id)).toEqual({ monitors: 0, pings: 0 });
      expect((await store.listMonitors(key.id)).map((m) => m.id)).toEqual([b.id]);
    });

    it('refuses a duplicate (same method and URL) and a monitor over the limit, per key', async () => {
      const key = await newKey(store);
      const other = await newKey(store);
      const first = created(await store.createMonitor(monitor(key, { url: 'https://a.example/' }), 2));
      expect(await store.createMonitor(monitor(key, { url: 'https://a.example/' }), 2)).toEqual({
        refused: 'duplicate',
        existing: first,
      });
      created(await store.createMonitor(monitor(key, { url: 'https://a.example/', method: 'HEAD' }), 2));
      expect(await store.createMonitor(monitor(key), 2)).toEqual({ refused: 'limit', count: 2 });
      created(await store.createMonitor(monitor(other, { url: 'https://a.example/' }), 2));
      // A monitor cannot be deleted through another key.
      expect(await store.deleteMonitor(other.id, first.id)).toEqual({ monitors: 0, pings: 0 });
    });

    it('concurrent creations never exceed the limit', async () => {
      const key = await newKey(store);
      const stores = [store, fx.second ?? store];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % 2]!.createMonitor(monitor(key), 5)),
      );
      expect(results.filter((r) => !('refused' in r))).toHaveLength(5);
      expect(await store.listMonitors(key.id)).toHaveLength(5);
    });

    it('claims due monitors once and reschedules them an interval later, within the jitter', async () => {
      const key = await newKey(store);
      const now = T0 + 10 * MIN;
      const due = created(
        await store.createMonitor(monitor(key, { nextDueAt: now - 1000, intervalSeconds: 60 }), 10),
      );
      const later = created(await store.createMonitor(monitor(key, { nextDueAt: now + 5000 }), 10));
      const mine = async (at: number) =>
        (await store.claimDueMonitors(at, 100)).filter((m) => m.keyId === key.id);
      expect(await mine(now)).toEqual([
        { id: due.id, keyId: key.id, url: due.url, method: 'GET', expectStatus: null, intervalSeconds: 60 },
      ]);
      expect(await mine(now)).toEqual([]);
      // Rescheduled between 54 and 66 s later: not yet at +53 s, surely at +66 s (with the other one).
      expect(await mine(now + 60_000 * (1 - JITTER) - 1000)).toEqual(
        [later].map((m) => expect.objectContaining({ id: m.id })),
      );
      expect((await mine(now + 60_000 * (1 + JITTER))).map((m) => m.id)).toEqual([due.id]);
    });

    it('claims at most `limit` monitors, the most overdue first', async () => {
      const key = await newKey(store);
      const now = T0 + 20 * MIN;
      const ids = [];
      // Due long before the other tests' monitors, so they come first.
      for (let i = 0; i < 4; i++) {
        ids.push(created(await store.createMonitor(monitor(key, { nextDueAt: 5000 - i * 1000 }), 10)).id);
      }
      const first = await store.claimDueMonitors(now, 2);
      expect(first.map((m) => m.id)).toEqual([ids[3], ids[2]]);
      const rest = (await store.claimDueMonitors(now, 10)).filter((m) => m.keyId === key.id);
      expect(rest.map((m) => m.id)).toEqual([ids[1], ids[0]]);
    });

    it('records attempts and advances health; alerts only when the key has a webhook', async () => {
      const key = await newKey(store);
      const m = created(await store.createMonitor(monitor(key), 10));
      const due = dueOf(m);
      expect(await store.recordAttempt(due, ok(T0))).toEqual({ alert: null });
      expect(await store.recordAttempt(due, failed(T0 + MIN))).toEqual({ alert: null });
      expect(await store.recordAttempt(due, failed(T0 + 2 * MIN))).toEqual({ alert: null });
      let [stored] = await store.listMonitors(key.id);
      expect(stored!.health).toEqual({
        state: 'down',
        since: T0 + MIN,
        consecutiveFailures: 2,
        failingSince: T0 + MIN,
      });
      expect(stored!.lastAttempt).toEqual(failed(T0 + 2 * MIN));

      expect(await store.getAlertSettings(key.id)).toEqual({ webhookUrl: null, threshold: 2 });
      await store.putAlertSettings(key.id, { webhookUrl: 'https://hooks.example.com/a', threshold: 3 });
      await store.putAlertSettings(key.id, { webhookUrl: 'https://hooks.example.com/b', threshold: 1 });
      expect(await store.getAlertSettings(key.id)).toEqual({
        webhookUrl: 'https://hooks.example.com/b',
        threshold: 1,
      });
      expect(await store.recordAttempt(due, ok(T0 + 3 * MIN, 33))).toEqual({
        alert: {
          webhookUrl: 'https://hooks.example.com/b',
          change: 'up',
          since: T0 + 3 * MIN,
          downSince: T0 + MIN,
        },
      });
      expect(await store.recordAttempt(due, failed(T0 + 4 * MIN))).toEqual({
        alert: {
          webhookUrl: 'https://hooks.example.com/b',
          change: 'down',
          since: T0 + 4 * MIN,
          downSince: null,
        },
      });
      [stored] = await store.listMonitors(key.id);
      expect(stored!.health.state).toBe('down');

      // An attempt finishing after its monitor was deleted is dropped.
      expect(await store.deleteMonitor(key.id, m.id)).toEqual({ monitors: 1, pings: 5 });
      expect(await store.recordAttempt(due, ok(T0 + 5 * MIN))).toEqual({ alert: null });
      expect(await store.monitorSlots(key.id, T0 - BASE_SLOT_MS, T0 + 60 * MIN, BASE_SLOT_MS)).toEqual(
        new Map(),
      );
    });

    it('sums attempts per slot as a brute-force reading of the same attempts does', async () => {
      const key = await newKey(store);
      const ms = [
        created(await store.createMonitor(monitor(key), 10)),
        created(await store.createMonitor(monitor(key), 10)),
      ];
      const sent: { id: string; a: Attempt }[] = [];
      let s = 7;
      const r = () => {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        return s / 2 ** 31;
      };
      for (const m of ms) {
        let t = T0 - 6 * 3_600_000;
        while (t < T0) {
          const x = r();
          const a: Attempt =
            x < 0.1
              ? {
                  at: t,
                  responseMs: Math.floor(r() * 10_000),
                  status: null,
                  failure: x < 0.05 ? 'timeout' : 'dns',
                  detail: `d${t}`,
                }
              : x < 0.15
                ? {
                    at: t,
                    responseMs: Math.floor(r() * 500),
                    status: 503,
                    failure: 'unexpected_status',
                    detail: 'answered 503',
                  }
                : { at: t, responseMs: Math.floor(r() * 500), status: 200, failure: null, detail: null };
          sent.push({ id: m.id, a });
          await store.recordAttempt(dueOf(m), a);
          t += 60_000 + Math.floor(r() * 240_000);
        }
      }
      const from = T0 - 5 * 3_600_000;
      const to = T0 - 3_600_000;
      const got = await store.monitorSlots(key.id, from, to, BASE_SLOT_MS);
      for (const m of ms) {
        const mine = sent.filter((x) => x.id === m.id && x.a.at >= from && x.a.at < to).map((x) => x.a);
        const starts = [...new Set(mine.map((a) => a.at - (a.at % BASE_SLOT_MS)))].sort((a, b) => a - b);
        const expected = starts.map((t) => {
          const inSlot = mine.filter((a) => a.at >= t && a.at < t + BASE_SLOT_MS);
          const answered = inSlot.filter((a) => a.status !== null);
          const failures = inSlot.filter((a) => a.failure !== null);
          const worst = failures.length
            ? failures.reduce((w, a) => (a.at > w.at ? a : w))
            : inSlot.reduce((w, a) =>
                a.responseMs > w.responseMs || (a.responseMs === w.responseMs && a.at > w.at) ? a : w,
              );
          return {
            t,
            attempts: inSlot.length,
            failures: failures.length,
            answered: answered.length,
            sumResponseMs: answered.reduce((x, a) => x + a.responseMs, 0),
            maxResponseMs: answered.length ? Math.max(...answered.map((a) => a.responseMs)) : null,
            worst,
          };
        });
        expect(expected.length).toBeGreaterThan(10);
        expect([...(got.get(m.id) ?? [])].sort((a, b) => a.t - b.t)).toEqual(expected);
      }
    });

    it("deleting a key deletes its monitors, their attempts and its alert settings, not another key's", async () => {
      const key = await newKey(store);
      const other = await newKey(store);
      const mine = [
        created(await store.createMonitor(monitor(key), 10)),
        created(await store.createMonitor(monitor(key), 10)),
      ];
      const theirs = created(await store.createMonitor(monitor(other), 10));
      for (let i = 0; i < 3; i++) {
        for (const m of [...mine, theirs]) await store.recordAttempt(dueOf(m), ok(T0 + i * MIN));
      }
      await store.putAlertSettings(key.id, { webhookUrl: 'https://hooks.example.com/k', threshold: 4 });
      await store.putAlertSettings(other.id, { webhookUrl: 'https://hooks.example.com/o', threshold: 5 });
      expect(await store.deleteKey(key.id)).toEqual({ keys: 1, requests: 0, monitors: 2, pings: 6 });
      expect(await store.listMonitors(key.id)).toEqual([]);
      expect(await store.monitorSlots(key.id, 0, T0 + 60 * MIN, BASE_SLOT_MS)).toEqual(new Map());
      expect(await store.getAlertSettings(key.id)).toEqual({ webhookUrl: null, threshold: 2 });
      // The other key keeps everything.
      expect((await store.listMonitors(other.id)).map((m) => m.id)).toEqual([theirs.id]);
      expect(
        (await store.monitorSlots(other.id, 0, T0 + 60 * MIN, BASE_SLOT_MS)).get(theirs.id),
      ).toHaveLength(1);
      expect(await store.getAlertSettings(other.id)).toEqual({
        webhookUrl: 'https://hooks.example.com/o',
        threshold: 5,
      });
      // Nothing can be added under the deleted key.
      await expect(store.createMonitor(monitor(key), 10)).rejects.toThrow(/API key does not exist/);
    });

    it('deletes attempts older than a cutoff', async () => {
      const key = await newKey(store);
      const m = created(await store.createMonitor(monitor(key), 10));
      const due = dueOf(m);
      for (let i = 0; i < 5; i++) await store.recordAttempt(due, ok(T0 - 100 * 86_400_000 + i * MIN));
      await store.recordAttempt(due, ok(T0));
      expect(await store.deleteAttemptsBefore(T0 - 60 * 86_400_000)).toBeGreaterThanOrEqual(5);
      const left = await store.monitorSlots(key.id, 0, T0 + 1, BASE_SLOT_MS);
      expect(left.get(m.id)?.map((s) => s.attempts)).toEqual([1]);
    });

    it(
      options.shared
        ? 'two stores on one database never claim the same monitor at the same time'
        : 'claims running at once never claim the same monitor',
      async () => {
        // One process per file (DuckDB): the six claimers share the one store.
        const second = fx.second ?? store;
        const key = await newKey(store);
        const now = T0 + 30 * MIN;
        for (let i = 0; i < 30; i++) await store.createMonitor(monitor(key, { nextDueAt: now - 1 }), 100);
        // Three claimers per store, each claiming until nothing is left: SKIP LOCKED lets a claim
        // come back short while another holds rows, so the loops, not one round each, drain it.
        const claimer = async (s: Store & MonitorStore) => {
          const got: string[] = [];
          for (;;) {
            const claimed = await s.claimDueMonitors(now, 4);
            if (claimed.length === 0) return got;
            got.push(...claimed.filter((m) => m.keyId === key.id).map((m) => m.id));
          }
        };
        const ids = (await Promise.all([store, second, store, second, store, second].map(claimer))).flat();
        expect(ids).toHaveLength(30);
        expect(new Set(ids).size).toBe(30);
      },
    );
  });
}
