import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import {
  type ApilensError,
  Config,
  type ExpressAnalyticsMiddleware,
  expressAnalytics,
} from '../src/index.js';

type ExpressFactory = typeof express5;

const majors: Array<[string, ExpressFactory]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressFactory],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flushes until the collector holds `n` records: 'finish' may fire just after the client read the response. */
async function records(mw: ExpressAnalyticsMiddleware, collector: TestCollector, n: number) {
  const deadline = Date.now() + 5_000;
  while (collector.requests().length < n) {
    if (Date.now() > deadline)
      throw new Error(`collector got ${collector.requests().length} of ${n} records`);
    await mw.flush();
    await sleep(5);
  }
  return collector.requests();
}

describe.each(majors)('%s', (_name, express) => {
  let collector: TestCollector;
  let server: Server | undefined;
  let mw: ExpressAnalyticsMiddleware | undefined;

  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await mw?.shutdown(1_000);
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    mw = undefined;
    await collector.close();
  });

  async function listen(app: ReturnType<ExpressFactory>): Promise<string> {
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function build(config: ConstructorParameters<typeof Config>[0] = {}) {
    const app = express();
    mw = expressAnalytics('test-key', { serverUrl: collector.url, flushIntervalMs: 60_000, ...config });
    app.use(mw);
    app.get('/users/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    const items = express.Router();
    items.get('/', (_req, res) => {
      res.send('all');
    });
    items.get('/:itemId', (req, res) => {
      res.send(req.params.itemId);
    });
    items.get('/:itemId/fail', () => {
      throw Object.assign(new Error('teapot'), { status: 418 });
    });
    const v1 = express.Router();
    v1.use('/items', items);
    app.use('/api/v1', v1);
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/next-error', (_req, _res, next) => {
      next(Object.assign(new Error('unavailable'), { statusCode: 503 }));
    });
    app.get('/stream', (_req, res) => {
      res.write('a');
      let n = 0;
      const timer = setInterval(() => {
        res.write('b');
        if (++n === 4) {
          clearInterval(timer);
          res.end('c');
        }
      }, 50);
    });
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.send('late'), 300);
    });
    const admin = express();
    admin.get('/stats/:day', (_req, res) => {
      res.send('stats');
    });
    app.use('/admin', admin);
    app.get('/health', (_req, res) => {
      res.send('ok');
    });
    app.get('/internal/metrics', (_req, res) => {
      res.send('m');
    });
    return app;
  }

  it('records the fields and route templates, nested routers included', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/users/42?expand=1`, {
      headers: { 'user-agent': 'test-agent/1.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
    });
    expect(res.status).toBe(200);
    await fetch(`${base}/api/v1/items/7?x=y`);
    await fetch(`${base}/api/v1/items`);
    const all = await records(mw!, collector, 3);
    const batch = collector.batches[0]!;
    expect(batch.api_key).toBe('test-key');
    expect(batch.framework).toBe('Express');
    expect(batch.privacy_level).toBe(0);
    const byPath = new Map(all.map((r) => [r.path, r]));
    expect(byPath.get('/users/42')).toMatchObject({
      method: 'GET',
      route: '/users/:id',
      status: 200,
      hostname: new URL(base).host,
      ip_address: '203.0.113.9',
      user_agent: 'test-agent/1.0',
      user_id: null,
    });
    expect(byPath.get('/api/v1/items/7')).toMatchObject({ route: '/api/v1/items/:itemId', status: 200 });
    expect(byPath.get('/api/v1/items')).toMatchObject({ route: '/api/v1/items', status: 200 });
    const first = byPath.get('/users/42')!;
    expect(first.response_time).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Date.parse(first.created_at) - Date.now())).toBeLessThan(5_000);
  });

  it('records routes of a mounted sub-app', async () => {
    const base = await listen(build());
    await fetch(`${base}/admin/stats/monday`);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/admin/stats/monday', route: '/admin/stats/:day', status: 200 });
  });

  it('deliberately skips requests whose client went away before the response finished', async () => {
    const base = await listen(build());
    const aborter = new AbortController();
    const slow = fetch(`${base}/slow`, { signal: aborter.signal }).catch((e: Error) => e);
    await sleep(50);
    aborter.abort();
    expect(await slow).toBeInstanceOf(Error);
    await sleep(350);
    await fetch(`${base}/users/1`);
    await records(mw!, collector, 1);
    await sleep(20);
    await mw!.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(['/users/1']);
  });

  it('uses the socket address when no proxy header is present', async () => {
    const base = await listen(build());
    await fetch(`${base}/users/1`);
    const [r] = await records(mw!, collector, 1);
    expect(r!.ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('records thrown and forwarded errors with the status the client got', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/next-error`)).status).toBe(503);
    expect((await fetch(`${base}/api/v1/items/3/fail`)).status).toBe(418);
    const all = await records(mw!, collector, 3);
    const byPath = new Map(all.map((r) => [r.path, r]));
    expect(byPath.get('/boom')).toMatchObject({ status: 500, route: '/boom' });
    expect(byPath.get('/next-error')).toMatchObject({ status: 503, route: '/next-error' });
    expect(byPath.get('/api/v1/items/3/fail')).toMatchObject({
      status: 418,
      route: '/api/v1/items/:itemId/fail',
    });
  });

  it('records errors answered by an error-handling middleware', async () => {
    const app = build();
    app.use(
      (err: Error, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
        res.status(502).json({ error: err.message });
      },
    );
    const base = await listen(app);
    expect((await fetch(`${base}/boom`)).status).toBe(502);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ status: 502, route: '/boom', path: '/boom' });
  });

  it('records unmatched routes as 404 without a route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/nope/1?q=2`)).status).toBe(404);
    expect((await fetch(`${base}/users/1`, { method: 'DELETE' })).status).toBe(404);
    const all = await records(mw!, collector, 2);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/nope/1', status: 404, route: null, method: 'GET' }),
        expect.objectContaining({ path: '/users/1', status: 404, route: null, method: 'DELETE' }),
      ]),
    );
  });

  it('times a streamed response until its last byte', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/stream`);
    expect(await res.text()).toBe('abbbbc');
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/stream', route: '/stream', status: 200 });
    expect(r!.response_time).toBeGreaterThanOrEqual(190);
  });

  it('does not record excluded paths', async () => {
    const base = await listen(
      build({ exclude: ['/health', /^\/internal\//, '/api/v1/items/:itemId'] as Array<string | RegExp> }),
    );
    await fetch(`${base}/health`);
    await fetch(`${base}/internal/metrics`);
    await fetch(`${base}/api/v1/items/9`);
    await fetch(`${base}/users/5`);
    const all = await records(mw!, collector, 1);
    await sleep(50);
    await mw!.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(['/users/5']);
    expect(all).toHaveLength(1);
  });

  it('does not record requests an exclude predicate rejects, and passes it the request', async () => {
    const seen: string[] = [];
    const base = await listen(
      build({
        exclude: (path, req) => {
          seen.push(req.method);
          return path.startsWith('/health');
        },
      }),
    );
    await fetch(`${base}/health?x=1`);
    await fetch(`${base}/users/5`);
    await records(mw!, collector, 1);
    expect(collector.requests().map((r) => r.path)).toEqual(['/users/5']);
    expect(seen).toEqual(['GET', 'GET']);
  });

  it('answers and records the request when every mapper throws', async () => {
    const errors: ApilensError[] = [];
    const boom = () => {
      throw new Error('mapper bug');
    };
    const base = await listen(
      build({
        getPath: boom,
        getHostname: boom,
        getIPAddress: boom,
        getUserAgent: boom,
        getUserID: boom,
        onError: (e) => errors.push(e),
      }),
    );
    const res = await fetch(`${base}/users/3?q=1`, { headers: { 'user-agent': 'ua' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '3' });
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/users/3', route: '/users/:id', user_agent: 'ua', user_id: null });
    expect(r!.hostname).toBe(new URL(base).host);
    expect(errors.map((e) => e.field).sort()).toEqual([
      'getHostname',
      'getIPAddress',
      'getPath',
      'getUserAgent',
      'getUserID',
    ]);
  });

  it('applies mappers typed with the Express request', async () => {
    const base = await listen(
      build({
        getPath: (req) => req.path.toUpperCase(),
        getHostname: (req) => req.get('x-host'),
        getUserAgent: () => 'mapped-agent',
        getIPAddress: (req) => req.get('x-client'),
        getUserID: (req) => req.get('x-user-id'),
      }),
    );
    await fetch(`${base}/users/8`, {
      headers: { 'x-host': 'api.example.com', 'x-client': '198.51.100.1', 'x-user-id': 'u-1' },
    });
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({
      path: '/USERS/8',
      hostname: 'api.example.com',
      user_agent: 'mapped-agent',
      ip_address: '198.51.100.1',
      user_id: 'u-1',
    });
  });

  it('never reads the client IP at privacy level 2', async () => {
    let called = 0;
    const base = await listen(
      build({
        privacyLevel: 2,
        getIPAddress: () => {
          called++;
          return '192.0.2.1';
        },
      }),
    );
    await fetch(`${base}/users/1`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const [r] = await records(mw!, collector, 1);
    expect(r!.ip_address).toBeNull();
    expect(collector.batches[0]!.privacy_level).toBe(2);
    expect(called).toBe(0);
  });

  it('delivers pending records on shutdown', async () => {
    const base = await listen(build());
    for (let i = 0; i < 5; i++) await fetch(`${base}/users/${i}`);
    await sleep(20);
    expect(collector.requests()).toHaveLength(0);
    expect(mw!.analytics.stats().queued).toBe(5);
    await mw!.shutdown(2_000);
    expect(collector.requests().map((r) => r.path)).toEqual([
      '/users/0',
      '/users/1',
      '/users/2',
      '/users/3',
      '/users/4',
    ]);
    expect(mw!.analytics.stats()).toMatchObject({ queued: 0, sent: 5, dropped: 0 });
  });

  it('accepts a Config instance', async () => {
    const config = new Config();
    config.serverUrl = collector.url;
    config.flushIntervalMs = 50;
    config.getUserID = (req) => req.get('x-user-id');
    const app = express();
    mw = expressAnalytics('config-key', config);
    app.use(mw);
    app.get('/me', (_req, res) => {
      res.send('me');
    });
    const base = await listen(app);
    await fetch(`${base}/me`, { headers: { 'x-user-id': '77' } });
    // No explicit flush: the interval timer sends the batch.
    await collector.waitForRequests(1, 5_000);
    expect(collector.requests()[0]).toMatchObject({ path: '/me', route: '/me', user_id: '77' });
    expect(collector.batches[0]!.api_key).toBe('config-key');
  });
});

describe('expressAnalytics()', () => {
  it('is a named middleware with flush and shutdown', () => {
    const mw = expressAnalytics('k', { serverUrl: 'http://127.0.0.1:9' });
    expect(mw.name).toBe('apilensExpress');
    expect(mw.length).toBe(3);
    expect(typeof mw.flush).toBe('function');
    expect(typeof mw.shutdown).toBe('function');
    return mw.shutdown(10);
  });

  it('throws a TypeError naming the package for malformed options', () => {
    expect(() => expressAnalytics('k', { privacyLevel: 3 as 0 })).toThrow(
      /@apilens\/express: invalid config\.privacyLevel/,
    );
  });

  it('passes requests through untouched without an API key', async () => {
    const app = express5();
    const mw = expressAnalytics(undefined);
    expect(mw.analytics.enabled).toBe(false);
    app.use(mw);
    app.get('/x', (_req, res) => {
      res.send('x');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    expect(await res.text()).toBe('x');
    await new Promise((resolve) => server.close(resolve));
  });
});
