// Two `apilens serve` processes on one PostgreSQL database share the monitors: each monitor is
// pinged once per interval, not once per process. The target counts the pings it gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, generateKey, runCli } from '../harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers.js';
import { answer, startTarget, type Target } from './targets.js';

const INTERVAL_S = 3;
const WINDOW_MS = 18_000;

describe('two collector processes on one PostgreSQL', () => {
  let db: TestDatabase;
  let target: Target;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    target = await startTarget(answer(200));
  });
  afterAll(async () => {
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exit));
    await target?.close();
    await db?.drop();
  });

  it('ping each monitor once per interval', async () => {
    const flags = [
      'serve',
      '--port',
      '0',
      '--monitor-min-interval',
      '1',
      '--monitor-allow-private',
      // info: the harness reads the address from the "listening" line.
      '--log-level',
      'info',
    ];
    for (let i = 0; i < 2; i++) procs.push(runCli(flags, { DATABASE_URL: db.url }));
    const [a, b] = await Promise.all(procs.map((p) => p.url));
    const key = await generateKey(a!);
    // Each process's pinger ticks every second; added through one, pinged by whichever claims it.
    const res = await fetch(`${b}/api/monitors`, {
      method: 'POST',
      headers: { 'x-auth-token': key.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${target.url}/ping`, method: 'GET', intervalSeconds: INTERVAL_S }),
    });
    expect(res.status).toBe(201);
    while (target.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
    const start = Date.now();
    const before = target.requests.length;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const pings = target.requests.length - before;
    const elapsed = Date.now() - start;
    // Once per interval: gaps of 3 s ± 10 %, up to a tick (1 s) later, so 18 s hold at most
    // floor(18 / 2.7) + 1 = 7 pings and, loaded, a few. Two processes pinging on their own would
    // each make at least floor(18 / 4.3) = 4: 8 or more.
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(pings).toBeLessThanOrEqual(Math.floor(elapsed / (INTERVAL_S * 1000 * 0.9)) + 1);
    // And no two pings closer than the interval minus the jitter (less half a second for the
    // time between a claim and its request): two pingers would land pings seconds apart or less.
    const times = target.requests.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL_S * 1000 * 0.9 - 500);
    // Both processes read the same attempts.
    for (const url of [a, b]) {
      const r = await fetch(`${url}/api/monitoring/${key.dashboard_id}`);
      const body = (await r.json()) as { monitors: { slots: { attempts: number }[] }[] };
      const stored = body.monitors[0]!.slots.reduce((n, s) => n + s.attempts, 0);
      expect(stored).toBeGreaterThanOrEqual(before + pings - 1);
    }
  }, 90_000);
});
