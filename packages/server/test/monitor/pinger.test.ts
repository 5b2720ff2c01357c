import { afterAll, describe, expect, it } from 'vitest';
import { advanceHealth, alertOf, INITIAL_HEALTH, type MonitorHealth } from '../../src/monitor/alerts.js';
import {
  type AttemptOutcome,
  type DueMonitor,
  firstDueAt,
  JITTER,
  nextDueAt,
  Pinger,
  type PingerLog,
  type PingerOptions,
  type PingerStore,
} from '../../src/monitor/pinger.js';
import type { AlertPayload, Attempt } from '../../src/monitor/types.js';
import { answer, startTarget, type Target } from './targets.js';

/**
 * The pinger's side of a store, kept in memory, to exercise the scheduling loop on its own; the
 * DuckDB and PostgreSQL implementations are tested through the server.
 */
class MemoryMonitors implements PingerStore {
  readonly monitors: { m: DueMonitor; due: number; health: MonitorHealth }[] = [];
  readonly attempts: { id: string; attempt: Attempt }[] = [];
  webhookUrl: string | null = null;
  threshold = 2;
  failClaims = 0;
  failRecords = 0;

  add(m: Partial<DueMonitor> & { url: string }, due = 0): DueMonitor {
    const monitor: DueMonitor = {
      id: `m${this.monitors.length + 1}`,
      keyId: 1,
      method: 'GET',
      expectStatus: null,
      intervalSeconds: 60,
      ...m,
    };
    this.monitors.push({ m: monitor, due, health: INITIAL_HEALTH });
    return monitor;
  }

  async claimDueMonitors(now: number, limit: number): Promise<DueMonitor[]> {
    if (this.failClaims > 0) {
      this.failClaims--;
      throw new Error('database unreachable');
    }
    const due = this.monitors.filter((x) => x.due <= now).slice(0, limit);
    for (const x of due) x.due = nextDueAt(x.due, now, x.m.intervalSeconds * 1000);
    return due.map((x) => x.m);
  }

  async recordAttempt(monitor: DueMonitor, attempt: Attempt): Promise<AttemptOutcome> {
    if (this.failRecords > 0) {
      this.failRecords--;
      throw new Error('database unreachable');
    }
    this.attempts.push({ id: monitor.id, attempt });
    const row = this.monitors.find((x) => x.m.id === monitor.id)!;
    const prev = row.health;
    const step = advanceHealth(prev, attempt, this.threshold);
    row.health = step.health;
    return { alert: alertOf(step, prev, this.webhookUrl) };
  }
}

function recordingLog() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const log: PingerLog = {
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
  return { lines, log };
}

const targets: Target[] = [];
async function target(...args: Parameters<typeof startTarget>) {
  const t = await startTarget(...args);
  targets.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

function options(extra: Partial<PingerOptions> & { log: PingerLog }): PingerOptions {
  return {
    concurrency: 4,
    timeoutMs: 5000,
    tickMs: 50,
    allowPrivate: true,
    webhookRetries: 2,
    webhookBackoffMs: 20,
    ...extra,
  };
}

describe('nextDueAt and firstDueAt', () => {
  it('spreads each interval by at most the jitter, and differently each time', () => {
    const interval = 300_000;
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const next = nextDueAt(1_000_000, 1_000_500, interval) - 1_000_500;
      expect(next).toBeGreaterThanOrEqual(interval * (1 - JITTER));
      expect(next).toBeLessThanOrEqual(interval * (1 + JITTER));
      seen.add(Math.floor(next / 1000));
    }
    // 60 s of spread, one-second buckets: nearly all of them used.
    expect(seen.size).toBeGreaterThan(50);
  });

  it('puts a monitor found more than an interval late anywhere in the next interval', () => {
    const values = Array.from({ length: 2000 }, () => nextDueAt(0, 1_000_000, 60_000) - 1_000_000);
    expect(Math.min(...values)).toBeLessThan(6_000);
    expect(Math.max(...values)).toBeGreaterThan(54_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(60_000);
  });

  it('gives a new monitor its first attempt within 10 s (sooner for shorter intervals)', () => {
    for (let i = 0; i < 500; i++) {
      expect(firstDueAt(0, 300_000)).toBeLessThanOrEqual(10_000);
      expect(firstDueAt(0, 2_000)).toBeLessThanOrEqual(2_000);
    }
  });
});

describe('Pinger', () => {
  it('keeps at most `concurrency` attempts in flight and attempts every due monitor', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = await target((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200);
        res.end();
      }, 150);
    });
    const store = new MemoryMonitors();
    for (let i = 0; i < 7; i++) store.add({ url: `${slow.url}/${i}` });
    const { log } = recordingLog();
    const pinger = new Pinger(store, options({ concurrency: 2, log, now: () => 1 }));
    pinger.start();
    while (store.attempts.length < 7) await new Promise((r) => setTimeout(r, 20));
    await pinger.stop();
    expect(maxInFlight).toBe(2);
    expect(new Set(store.attempts.map((a) => a.id)).size).toBe(7);
    expect(store.attempts.every((a) => a.attempt.failure === null)).toBe(true);
  });

  it('alerts once when a monitor goes down and once when it recovers', async () => {
    const plan = [200, 500, 500, 500, 500, 200, 200];
    let i = 0;
    const flaky = await target((_req, res) => {
      res.writeHead(plan[Math.min(i++, plan.length - 1)]!);
      res.end();
    });
    const hook = await target(answer(200));
    const store = new MemoryMonitors();
    store.webhookUrl = `${hook.url}/alerts`;
    const monitor = store.add({ url: `${flaky.url}/health` });
    let now = Date.UTC(2026, 0, 1);
    const { log, lines } = recordingLog();
    const pinger = new Pinger(store, options({ log, now: () => now }));
    for (let step = 0; step < plan.length; step++) {
      await pinger.tick();
      await pinger.idle();
      now += 80_000; // past the next due time, whatever the jitter
    }
    expect(store.attempts.map((a) => a.attempt.status)).toEqual(plan);
    const alerts = hook.requests.map((r) => JSON.parse(r.body) as AlertPayload);
    const first = Date.UTC(2026, 0, 1);
    expect(alerts.map((a) => [a.status, a.since])).toEqual([
      ['down', new Date(first + 80_000).toISOString()],
      ['up', new Date(first + 5 * 80_000).toISOString()],
    ]);
    expect(alerts[0]!.monitor).toEqual({ id: monitor.id, url: monitor.url, method: 'GET' });
    expect(alerts[0]!.text).toMatch(/^DOWN: GET http:\/\/127\.0\.0\.1:\d+\/health is failing since/);
    expect(alerts[1]!.text).toMatch(/after 5 min down$/);
    expect(pinger.stats()).toMatchObject({ attempts: 7, failures: 4, alertsDelivered: 2, alertsFailed: 0 });
    expect(lines.filter((l) => l.msg === 'monitoring: alert delivered')).toHaveLength(2);
    await pinger.stop();
  });

  it('a webhook that keeps failing is logged and the pinger goes on', async () => {
    const down = await target(answer(503));
    const hook = await target(answer(500));
    const store = new MemoryMonitors();
    store.webhookUrl = hook.url;
    store.threshold = 1;
    store.add({ url: down.url });
    let now = 0;
    const { log, lines } = recordingLog();
    const pinger = new Pinger(store, options({ log, now: () => now }));
    for (let step = 0; step < 3; step++) {
      await pinger.tick();
      await pinger.idle();
      now += 80_000;
    }
    expect(store.attempts).toHaveLength(3);
    // One state change, one delivery with its 2 retries, then silence while it stays down.
    expect(hook.requests).toHaveLength(3);
    expect(lines.filter((l) => l.level === 'warn')).toMatchObject([
      {
        msg: 'monitoring: alert webhook could not be delivered',
        obj: { attempts: 3, error: 'the webhook answered 500' },
      },
    ]);
    await pinger.stop();
  });

  it("a recovery alert waits for the monitor's down alert that is being retried", async () => {
    const plan = [500, 500, 200];
    let i = 0;
    const flaky = await target((_req, res) => {
      res.writeHead(plan[Math.min(i++, plan.length - 1)]!);
      res.end();
    });
    let calls = 0;
    const hook = await target((_req, res) => {
      res.writeHead(calls++ === 0 ? 503 : 200);
      res.end();
    });
    const store = new MemoryMonitors();
    store.webhookUrl = hook.url;
    store.add({ url: flaky.url });
    let now = 0;
    const { log } = recordingLog();
    const pinger = new Pinger(store, options({ log, now: () => now, webhookBackoffMs: 300 }));
    for (let step = 0; step < plan.length; step++) {
      await pinger.tick();
      // Not idle(): the recovery is probed while the down alert waits for its retry.
      while (store.attempts.length <= step) await new Promise((r) => setTimeout(r, 5));
      now += 80_000;
    }
    await pinger.idle();
    expect(hook.requests.map((r) => (JSON.parse(r.body) as AlertPayload).status)).toEqual([
      'down',
      'down',
      'up',
    ]);
    await pinger.stop();
  });

  it('survives store failures: logs them (once while they repeat) and carries on', async () => {
    const up = await target(answer(200));
    const store = new MemoryMonitors();
    store.add({ url: up.url });
    store.failClaims = 5;
    store.failRecords = 1;
    let now = 0;
    const { log, lines } = recordingLog();
    const pinger = new Pinger(store, options({ log, now: () => now }));
    for (let step = 0; step < 8; step++) {
      await pinger.tick();
      await pinger.idle();
      now += 80_000;
    }
    await pinger.stop();
    // 8 ticks - 5 failed claims = 3 attempts, of which the first could not be stored.
    expect(pinger.stats().attempts).toBe(3);
    expect(store.attempts).toHaveLength(2);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'monitoring: could not read due monitors from the store',
      'monitoring: could not store an attempt',
    ]);
  });

  it('stop() lets an attempt in flight finish and be stored, and claims nothing after', async () => {
    const slow = await target((_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end();
      }, 200);
    });
    const store = new MemoryMonitors();
    store.add({ url: slow.url });
    const { log } = recordingLog();
    const pinger = new Pinger(store, options({ log }));
    pinger.start();
    while (slow.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await pinger.stop();
    expect(store.attempts).toHaveLength(1);
    store.monitors[0]!.due = 0;
    await new Promise((r) => setTimeout(r, 150));
    expect(slow.requests).toHaveLength(1);
  });
});
