// The monitoring API against a running collector on every store: monitors on real loopback targets,
// attempts stored by the real pinger, alerts to a real webhook receiver. Expected figures come from
// what the targets saw and answered, not from the code under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload, MonitoringResponse, MonitorReport } from '../../src/monitor/types.js';
import { freshStore, generateKey, type StoreName, startServer, type TestServer } from '../harness.js';
import { answer, hang, refusingUrl, startTarget, type Target } from './targets.js';

const FAST = {
  monitorMinIntervalSeconds: 1,
  monitorAllowPrivate: true,
  monitorTickMs: 50,
  monitorTimeoutMs: 400,
  monitorWebhookBackoffMs: 20,
  logger: false,
} as const;

async function send(
  url: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers['x-auth-token'] = opts.key;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const report = async (server: TestServer, dashboardId: string, period = '24h') => {
  const r = await send(server.url, 'GET', `/api/monitoring/${dashboardId}?period=${period}`);
  expect(r.status).toBe(200);
  return r.json as MonitoringResponse;
};

const attemptsOf = (m: MonitorReport) => m.slots.reduce((n, s) => n + s.attempts, 0);

/** The stores with monitoring. */
const STORES: StoreName[] = ['DuckDB', 'PostgreSQL'];

describe.each(STORES)('monitoring API on %s', (storeName) => {
  let fixture: Awaited<ReturnType<typeof freshStore>>;
  let server: TestServer;
  const targets: Target[] = [];
  const target = async (...args: Parameters<typeof startTarget>) => {
    const t = await startTarget(...args);
    targets.push(t);
    return t;
  };

  beforeAll(async () => {
    fixture = await freshStore(storeName);
    server = await startServer(fixture.store, { ...FAST, maxMonitors: 6 });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(targets.map((t) => t.close()));
    await fixture?.cleanup();
  });

  it('adding, listing and removing need the API key; the dashboard id cannot', async () => {
    const key = await generateKey(server.url);
    const body = { url: 'https://api.example.com/health', method: 'GET' };
    expect(await send(server.url, 'POST', '/api/monitors', { body })).toMatchObject({
      status: 401,
      json: { error: expect.stringMatching(/X-AUTH-TOKEN/) },
    });
    for (const [method, path] of [
      ['POST', '/api/monitors'],
      ['GET', '/api/monitors'],
      ['DELETE', '/api/monitors/abc'],
      ['PUT', '/api/alerts'],
    ] as const) {
      const r = await send(server.url, method, path, {
        key: key.dashboard_id,
        body: method === 'POST' || method === 'PUT' ? body : undefined,
      });
      expect([path, r.status, r.json.error]).toEqual([path, 401, expect.stringMatching(/unknown API key/)]);
    }
    // And the API key is no dashboard id.
    expect((await send(server.url, 'GET', `/api/monitoring/${key.api_key}`)).status).toBe(404);
  });

  it('refuses bad bodies with a 4xx naming the problem, duplicates and monitors over the limit', async () => {
    const key = (await generateKey(server.url)).api_key;
    const post = (body: unknown) => send(server.url, 'POST', '/api/monitors', { key, body });
    expect(await post({ url: 'ftp://a.example/', method: 'GET' })).toMatchObject({
      status: 400,
      json: { error: '"url" must use http or https, not ftp' },
    });
    expect(await post({ url: 'https://a.example/', method: 'PATCH' })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/"method" must be "GET" or "HEAD"/) },
    });
    expect(await post({ url: 'https://a.example/', method: 'GET', intervalSeconds: 0 })).toMatchObject({
      status: 400,
      json: {
        error: expect.stringMatching(/"intervalSeconds" must be a whole number of seconds from 1 to 600/),
      },
    });
    expect(await post({ url: 'http://169.254.169.254/', method: 'GET' })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/cloud metadata/) },
    });
    const first = await post({ url: 'https://a.example/x', method: 'GET', intervalSeconds: 600 });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      id: expect.stringMatching(/^[\w-]{12}$/),
      url: 'https://a.example/x',
      method: 'GET',
      intervalSeconds: 600,
      expectStatus: null,
      createdAt: expect.any(Number),
    });
    expect(await post({ url: 'https://a.example/x', method: 'GET' })).toMatchObject({
      status: 409,
      json: { error: `this key already monitors GET https://a.example/x (monitor ${first.json.id})` },
    });
    for (let i = 1; i < 6; i++)
      expect(
        (await post({ url: `https://a.example/${i}`, method: 'HEAD', intervalSeconds: 600 })).status,
      ).toBe(201);
    expect(await post({ url: 'https://a.example/7', method: 'GET' })).toMatchObject({
      status: 409,
      json: {
        error: expect.stringMatching(/has 6 monitors, the most this collector allows \(--max-monitors 6\)/),
      },
    });
    const list = await send(server.url, 'GET', '/api/monitors', { key });
    expect(list.json.limit).toBe(6);
    expect(list.json.monitors.map((m: { url: string }) => m.url)).toEqual([
      'https://a.example/x',
      ...[1, 2, 3, 4, 5].map((i) => `https://a.example/${i}`),
    ]);
    expect(await send(server.url, 'DELETE', `/api/monitors/${first.json.id}`, { key })).toEqual({
      status: 200,
      json: { deleted: { monitors: 1, pings: 0 } },
    });
    expect(await send(server.url, 'DELETE', `/api/monitors/${first.json.id}`, { key })).toMatchObject({
      status: 404,
      json: { error: expect.stringMatching(/no monitor/) },
    });
  });

  it('pings real targets: up, 500, hanging, refusing and redirecting; failures are stored, redirects not followed', async () => {
    const key = await generateKey(server.url);
    const elsewhere = await target(answer(200));
    const urls = {
      up: `${(await target(answer(200))).url}/health`,
      error: (await target(answer(500))).url,
      hang: (await target(hang)).url,
      refused: await refusingUrl(),
      redirect: (await target(answer(302, { location: `${elsewhere.url}/private` }))).url,
    };
    const ids: Record<string, string> = {};
    for (const [name, url] of Object.entries(urls)) {
      const r = await send(server.url, 'POST', '/api/monitors', {
        key: key.api_key,
        body: { url, method: 'GET', intervalSeconds: 1 },
      });
      expect(r.status).toBe(201);
      ids[name] = r.json.id;
    }
    const data = await until('3 attempts of every monitor', async () => {
      const d = await report(server, key.dashboard_id);
      return d.monitors.every((m) => attemptsOf(m) >= 3) && d;
    });
    const by = (name: string) => data.monitors.find((m) => m.id === ids[name])!;
    expect(by('up')).toMatchObject({ state: 'up', lastAttempt: { status: 200, failure: null } });
    expect(by('error')).toMatchObject({
      state: 'down',
      lastAttempt: { status: 500, failure: 'unexpected_status' },
    });
    expect(by('hang')).toMatchObject({ state: 'down', lastAttempt: { status: null, failure: 'timeout' } });
    expect(by('hang').lastAttempt!.responseMs).toBeGreaterThanOrEqual(390);
    expect(by('refused')).toMatchObject({
      state: 'down',
      lastAttempt: { status: null, failure: 'connection_refused' },
    });
    expect(by('redirect')).toMatchObject({ state: 'up', lastAttempt: { status: 302, failure: null } });
    expect(elsewhere.connections).toBe(0);
    for (const name of ['up', 'redirect']) expect(by(name).uptime['24h']).toBe(1);
    for (const name of ['error', 'hang', 'refused']) {
      expect(by(name).uptime).toMatchObject({ '24h': 0, '7d': 0, '30d': 0, '60d': 0 });
      expect(by(name).slots.at(-1)).toMatchObject({
        state: 'down',
        worst: { failure: by(name).lastAttempt!.failure },
      });
    }
    expect(data.monitors.every((m) => m.slots.length === 96)).toBe(true);
    expect(data.slotMs).toBe(15 * 60_000);
    // 7 d: 84 two-hour slots, the attempts in the last one.
    const week = await report(server, key.dashboard_id, '7d');
    expect(week.monitors[0]!.slots).toHaveLength(84);
    expect(week.monitors[0]!.slots.slice(0, -2).every((s) => s.state === 'unknown')).toBe(true);
    expect(
      (await send(server.url, 'GET', `/api/monitoring/${key.dashboard_id}?period=1y`)).json.error,
    ).toMatch(/"period" must be one of 24h, 7d, 30d, 60d/);
    for (const id of Object.values(ids))
      await send(server.url, 'DELETE', `/api/monitors/${id}`, { key: key.api_key });
  });

  it('uptime agrees with what a flapping target answered', async () => {
    const key = await generateKey(server.url);
    const answered: { at: number; status: number }[] = [];
    const flapping = await target((_req, res) => {
      const status = answered.length % 3 === 2 ? 503 : 200;
      answered.push({ at: Date.now(), status });
      res.writeHead(status);
      res.end();
    });
    const r = await send(server.url, 'POST', '/api/monitors', {
      key: key.api_key,
      body: { url: flapping.url, method: 'HEAD', intervalSeconds: 1 },
    });
    const data = await until('6 attempts', async () => {
      const d = await report(server, key.dashboard_id);
      return attemptsOf(d.monitors[0]!) >= 6 && d;
    });
    await send(server.url, 'DELETE', `/api/monitors/${r.json.id}`, { key: key.api_key });
    // Brute force over what the target answered up to the report, slot by slot, weighted by time.
    const seen = answered.filter((a) => a.at <= data.to);
    const slotMs = data.slotMs;
    let known = 0;
    let up = 0;
    for (let t = data.from; t < data.to; t += slotMs) {
      const inSlot = seen.filter((a) => a.at >= t && a.at < t + slotMs);
      if (inSlot.length === 0) continue;
      const weight = Math.min(t + slotMs, data.to) - t;
      known += weight;
      up += (weight * inSlot.filter((a) => a.status === 200).length) / inSlot.length;
    }
    const m = data.monitors[0]!;
    expect(attemptsOf(m)).toBe(seen.length);
    expect(m.slots.reduce((n, s) => n + s.failures, 0)).toBe(seen.filter((a) => a.status === 503).length);
    expect(m.uptime['24h']).toBeCloseTo(up / known, 9);
    expect(m.uptime['24h']).toBeLessThan(1);
  });

  it('calls the webhook once when a monitor goes down and once when it recovers', async () => {
    const key = await generateKey(server.url);
    let status = 200;
    let hits = 0;
    const flaky = await target((_req, res) => {
      hits++;
      res.writeHead(status);
      res.end();
    });
    const hook = await target(answer(204));
    expect(
      await send(server.url, 'PUT', '/api/alerts', {
        key: key.api_key,
        body: { webhookUrl: `${hook.url}/slack`, threshold: 2 },
      }),
    ).toEqual({
      status: 200,
      json: { webhookUrl: `${hook.url}/slack`, threshold: 2 },
    });
    expect((await send(server.url, 'GET', '/api/alerts', { key: key.api_key })).json).toEqual({
      webhookUrl: `${hook.url}/slack`,
      threshold: 2,
    });
    const m = await send(server.url, 'POST', '/api/monitors', {
      key: key.api_key,
      body: { url: `${flaky.url}/status`, method: 'GET', intervalSeconds: 1 },
    });
    await until('two good attempts', async () => hits >= 2);
    status = 500;
    await until('the down alert', async () => hook.requests.length >= 1);
    const downAt = hits;
    await until('two more failures', async () => hits >= downAt + 2);
    status = 200;
    await until('the up alert', async () => hook.requests.length >= 2);
    const upAt = hits;
    await until('two more successes', async () => hits >= upAt + 2);
    await send(server.url, 'DELETE', `/api/monitors/${m.json.id}`, { key: key.api_key });
    await server.app.apilensMonitoring.idle();
    const alerts = hook.requests.map((r) => JSON.parse(r.body) as AlertPayload);
    expect(alerts.map((a) => a.status)).toEqual(['down', 'up']);
    expect(alerts[0]).toMatchObject({
      monitor: { id: m.json.id, url: `${flaky.url}/status`, method: 'GET' },
      text: expect.stringMatching(
        /^DOWN: GET http:\/\/127\.0\.0\.1:\d+\/status is failing since .* \(unexpected status: answered 500, expected 2xx or 3xx\)$/,
      ),
    });
    expect(Date.parse(alerts[1]!.since)).toBeGreaterThan(Date.parse(alerts[0]!.since));
    expect(hook.requests[0]!.url).toBe('/slack');
  });

  it('deleting the key deletes its monitors, their attempts and alert settings, and says how many', async () => {
    const key = await generateKey(server.url);
    const t = await target(answer(200));
    await send(server.url, 'PUT', '/api/alerts', { key: key.api_key, body: { webhookUrl: null } });
    await send(server.url, 'POST', '/api/monitors', {
      key: key.api_key,
      body: { url: t.url, method: 'GET', intervalSeconds: 1 },
    });
    await until('2 attempts', async () => t.requests.length >= 2);
    await server.app.apilensMonitoring.idle();
    const stored = attemptsOf((await report(server, key.dashboard_id)).monitors[0]!);
    const r = await send(server.url, 'DELETE', '/api/delete', { key: key.api_key });
    expect(r.status).toBe(200);
    expect(r.json.deleted).toMatchObject({ keys: 1, monitors: 1 });
    // An attempt in flight at deletion is dropped, not stored.
    expect(r.json.deleted.pings).toBeGreaterThanOrEqual(stored);
    expect((await send(server.url, 'GET', `/api/monitoring/${key.dashboard_id}`)).status).toBe(404);
  });
});

describe.each(STORES)(
  'SSRF guard in the running collector on %s (private targets not allowed)',
  (storeName) => {
    let fixture: Awaited<ReturnType<typeof freshStore>>;
    let server: TestServer;
    let listener: Target;
    beforeAll(async () => {
      fixture = await freshStore(storeName);
      server = await startServer(fixture.store, { ...FAST, monitorAllowPrivate: false });
      listener = await startTarget(answer(200));
    });
    afterAll(async () => {
      await server?.close();
      await listener?.close();
      await fixture?.cleanup();
    });

    it('refuses IP literals when the monitor is added, and names resolving to loopback at every attempt, connecting nowhere', async () => {
      const key = await generateKey(server.url);
      for (const url of [
        `http://127.0.0.1:${listener.port}/`,
        `http://[::1]:${listener.port}/`,
        `http://[::ffff:127.0.0.1]:${listener.port}/`,
        'http://10.0.0.1/',
        'http://169.254.169.254/',
      ]) {
        const r = await send(server.url, 'POST', '/api/monitors', {
          key: key.api_key,
          body: { url, method: 'GET' },
        });
        expect([url, r.status, r.json.error]).toEqual([url, 400, expect.stringMatching(/is refused: /)]);
      }
      expect(
        (
          await send(server.url, 'PUT', '/api/alerts', {
            key: key.api_key,
            body: { webhookUrl: `http://127.0.0.1:${listener.port}/` },
          })
        ).status,
      ).toBe(400);
      const r = await send(server.url, 'POST', '/api/monitors', {
        key: key.api_key,
        body: { url: `http://localhost:${listener.port}/`, method: 'GET', intervalSeconds: 1 },
      });
      expect(r.status).toBe(201);
      const data = await until('2 attempts', async () => {
        const d = await report(server, key.dashboard_id);
        return attemptsOf(d.monitors[0]!) >= 2 && d;
      });
      expect(data.monitors[0]).toMatchObject({
        state: 'down',
        lastAttempt: {
          status: null,
          failure: 'blocked',
          detail: expect.stringMatching(/^localhost \(127\.0\.0\.1\) is refused: loopback/),
        },
      });
      expect(listener.connections).toBe(0);
    });
  },
);
