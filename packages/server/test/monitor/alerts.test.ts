import { afterAll, describe, expect, it } from 'vitest';
import { advanceHealth, alertPayload, INITIAL_HEALTH, type MonitorHealth } from '../../src/monitor/alerts.js';
import type { GuardOptions } from '../../src/monitor/guard.js';
import type { AlertPayload, Attempt } from '../../src/monitor/types.js';
import { deliverWebhook } from '../../src/monitor/webhook.js';
import { countClientSockets, hang, startTarget, type Target } from './targets.js';

const ok = (at: number): Attempt => ({ at, responseMs: 12, status: 200, failure: null, detail: null });
const fail = (at: number): Attempt => ({
  at,
  responseMs: 10_000,
  status: null,
  failure: 'timeout',
  detail: 'no response within 10000 ms',
});

function run(results: boolean[], threshold: number) {
  let h: MonitorHealth = INITIAL_HEALTH;
  const changes: { i: number; change: 'down' | 'up'; since: number | null }[] = [];
  const states: string[] = [];
  results.forEach((up, i) => {
    const step = advanceHealth(h, up ? ok(i * 1000) : fail(i * 1000), threshold);
    h = step.health;
    states.push(h.state);
    if (step.change) changes.push({ i, change: step.change, since: h.since });
  });
  return { changes, states };
}

describe('advanceHealth', () => {
  it('goes down at the second failure in a row, once, and up at the next success, once', () => {
    //            F      F      F      ok    F      ok    F      F
    const r = run([false, false, false, true, false, true, false, false], 2);
    expect(r.states).toEqual(['unknown', 'down', 'down', 'up', 'up', 'up', 'up', 'down']);
    expect(r.changes).toEqual([
      { i: 1, change: 'down', since: 0 },
      { i: 3, change: 'up', since: 3000 },
      { i: 7, change: 'down', since: 6000 },
    ]);
  });

  it('a single failure below the threshold alerts nobody', () => {
    expect(run([true, false, true, false, true], 2).changes).toEqual([]);
    expect(run([true, false, true], 1).changes.map((c) => c.change)).toEqual(['down', 'up']);
  });

  it('matches a brute-force reading of random sequences for thresholds 1 to 4', () => {
    for (let trial = 0; trial < 300; trial++) {
      const threshold = 1 + (trial % 4);
      const results = Array.from({ length: 40 }, () => Math.random() < 0.6);
      // Independent reading: the state after attempt i is `down` when the failures ending at i
      // number at least the threshold, else `up` once any attempt succeeded, else `unknown`.
      const expectedStates: string[] = [];
      const expectedChanges: string[] = [];
      let run_ = 0;
      let anyUp = false;
      let prev = 'unknown';
      for (const up of results) {
        run_ = up ? 0 : run_ + 1;
        anyUp ||= up;
        const state = run_ >= threshold ? 'down' : anyUp ? 'up' : 'unknown';
        if (state === 'down' && prev !== 'down') expectedChanges.push('down');
        if (state === 'up' && prev === 'down') expectedChanges.push('up');
        expectedStates.push(state);
        prev = state;
      }
      const r = run(results, threshold);
      expect(r.states).toEqual(expectedStates);
      expect(r.changes.map((c) => c.change)).toEqual(expectedChanges);
    }
  });
});

describe('alertPayload', () => {
  const monitor = { id: 'm1', url: 'https://api.example.com/a?x=1&y=<2>', method: 'GET' as const };

  it('is Slack-compatible: text, with &, < and > escaped', () => {
    const p = alertPayload(monitor, 'down', Date.UTC(2026, 0, 2, 3, 4, 5), fail(0), null);
    expect(p).toEqual({
      text: 'DOWN: GET https://api.example.com/a?x=1&amp;y=&lt;2&gt; is failing since 2026-01-02T03:04:05.000Z (timeout: no response within 10000 ms)',
      monitor,
      status: 'down',
      since: '2026-01-02T03:04:05.000Z',
    });
  });

  it('says how long a recovered monitor was down', () => {
    const down = Date.UTC(2026, 0, 2, 3, 0, 0);
    const p = alertPayload(monitor, 'up', down + 12 * 60_000, ok(0), down);
    expect(p.status).toBe('up');
    expect(p.text).toMatch(/^UP: GET .* is answering again \(200 in 12 ms\) after 12 min down$/);
  });
});

describe('deliverWebhook', () => {
  const guard: GuardOptions = { allowPrivate: true };
  const targets: Target[] = [];
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.close()));
  });
  const payload: AlertPayload = {
    text: 'DOWN: GET https://x.example/',
    monitor: { id: 'm1', url: 'https://x.example/', method: 'GET' },
    status: 'down',
    since: '2026-01-02T03:04:05.000Z',
  };
  const receiver = async (statuses: number[]) => {
    let i = 0;
    const t = await startTarget((_req, res) => {
      res.writeHead(statuses[Math.min(i++, statuses.length - 1)]!);
      res.end();
    });
    targets.push(t);
    return t;
  };

  it('POSTs the payload as JSON', async () => {
    const t = await receiver([204]);
    const r = await deliverWebhook(`${t.url}/hook`, payload, { guard, timeoutMs: 5000 });
    expect(r).toEqual({ delivered: true, attempts: 1, error: null });
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]).toMatchObject({ method: 'POST', url: '/hook' });
    expect(t.requests[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(t.requests[0]!.body)).toEqual(payload);
  });

  it('retries 5xx and 429 with growing waits, then delivers', async () => {
    const t = await receiver([500, 429, 200]);
    const started = Date.now();
    const r = await deliverWebhook(t.url, payload, { guard, timeoutMs: 5000, backoffMs: 50 });
    expect(r).toEqual({ delivered: true, attempts: 3, error: null });
    expect(t.requests).toHaveLength(3);
    // Waits of 50 ms and 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('gives up after the retries, saying why', async () => {
    const t = await receiver([503]);
    const r = await deliverWebhook(t.url, payload, { guard, timeoutMs: 5000, retries: 2, backoffMs: 10 });
    expect(r).toEqual({ delivered: false, attempts: 3, error: 'the webhook answered 503' });
    expect(t.requests).toHaveLength(3);
  });

  it('does not retry a 4xx that retrying cannot fix', async () => {
    const t = await receiver([404]);
    const r = await deliverWebhook(t.url, payload, { guard, timeoutMs: 5000, backoffMs: 10 });
    expect(r).toEqual({ delivered: false, attempts: 1, error: 'the webhook answered 404' });
  });

  it('times out a receiver that hangs, and retries it', async () => {
    const t = await startTarget(hang);
    targets.push(t);
    const r = await deliverWebhook(t.url, payload, { guard, timeoutMs: 200, retries: 1, backoffMs: 10 });
    expect(r).toMatchObject({ delivered: false, attempts: 2, error: 'timeout: no answer within 200 ms' });
    await new Promise((r) => setTimeout(r, 100));
    expect(t.connections).toBe(2);
  });

  it('goes through the SSRF guard: a loopback webhook is refused without a connection or a retry', async () => {
    const t = await receiver([200]);
    let r: Awaited<ReturnType<typeof deliverWebhook>> | undefined;
    const sockets = await countClientSockets(async () => {
      r = await deliverWebhook(t.url, payload, {
        guard: { allowPrivate: false },
        timeoutMs: 5000,
        backoffMs: 10,
      });
    });
    expect(r).toMatchObject({ delivered: false, attempts: 1 });
    expect(r?.error).toMatch(/^blocked: 127\.0\.0\.1 is refused: loopback/);
    expect(sockets).toBe(0);
    expect(t.connections).toBe(0);
  });

  it('stops retrying at shutdown', async () => {
    const t = await receiver([503]);
    const shutdown = new AbortController();
    const pending = deliverWebhook(t.url, payload, {
      guard,
      timeoutMs: 5000,
      backoffMs: 60_000,
      signal: shutdown.signal,
    });
    while (t.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    shutdown.abort();
    const r = await pending;
    expect(r.delivered).toBe(false);
    expect(r.error).toMatch(/gave up at shutdown/);
    expect(t.requests).toHaveLength(1);
  });
});
