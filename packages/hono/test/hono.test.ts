import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { stream } from 'hono/streaming';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import {
  type ApilensError,
  Config,
  type HonoAnalyticsMiddleware,
  type HonoOptions,
  honoAnalytics,
} from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flushes until the collector holds `n` records: 'finish' may fire just after the client read the response. */
async function records(mw: HonoAnalyticsMiddleware, collector: TestCollector, n: number) {
  const deadline = Date.now() + 5_000;
  while (collector.requests().length < n) {
    if (Date.now() > deadline)
      throw new Error(`collector got ${collector.requests().length} of ${n} records`);
    await mw.flush();
    await sleep(5);
  }
  return collector.requests();
}

let collector: TestCollector;
let server: Server | undefined;
let mw: HonoAnalyticsMiddleware | undefined;

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

function build(config: HonoOptions = {}) {
  const app = new Hono();
  // Hono's default answer, without its console.error.
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.text('Internal Server Error', 500),
  );
  mw = honoAnalytics('test-key', { serverUrl: collector.url, flushIntervalMs: 60_000, ...config });
  app.use('*', mw);
  // A second middleware for every path, so that "ran past the last middleware" is really tested.
  app.use('*', async (c, next) => {
    c.header('x-powered-by', 'test');
    await next();
  });
  app.use('/admin/*', async (c, next) => {
    if (c.req.header('authorization') !== 'Bearer ok') return c.text('unauthorized', 401);
    await next();
  });
  app.get('/admin/stats', (c) => c.text('stats'));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/not-an-error', () => {
    throw 'a string';
  });
  app.get('/teapot', () => {
    throw new HTTPException(418, { message: 'teapot' });
  });
  app.get('/stream', (c) =>
    stream(c, async (s) => {
      await s.write('a');
      for (let i = 0; i < 4; i++) {
        await s.sleep(50);
        await s.write('b');
      }
    }),
  );
  app.get('/slow', async (c) => {
    await sleep(300);
    return c.text('late');
  });
  app.get('/health', (c) => c.text('ok'));
  app.get('/missing', (c) => c.json({ error: 'no such thing' }, 404));

  const v1 = new Hono();
  v1.get('/items', (c) => c.text('all'));
  v1.get('/items/:itemId', (c) => c.text(c.req.param('itemId')));
  v1.get('/items/:itemId/fail', () => {
    throw new Error('nested failure');
  });
  app.route('/api/v1', v1);
  return app;
}

async function listen(app: Hono): Promise<string> {
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Hono on @hono/node-server', () => {
  it('records the fields and route templates, sub-apps included', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/users/42?expand=1`, {
      headers: { 'user-agent': 'test-agent/1.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
    });
    expect(res.status).toBe(200);
    await fetch(`${base}/api/v1/items/7?x=y`);
    await fetch(`${base}/api/v1/items`);
    const all = await records(mw!, collector, 3);
    expect(collector.batches[0]).toMatchObject({ api_key: 'test-key', framework: 'Hono', privacy_level: 0 });
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

  it('uses the socket address when no proxy header is present', async () => {
    const base = await listen(build());
    await fetch(`${base}/users/1`);
    const [r] = await records(mw!, collector, 1);
    expect(r!.ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('records errors with the status onError answered', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/teapot`)).status).toBe(418);
    expect((await fetch(`${base}/api/v1/items/3/fail`)).status).toBe(500);
    const all = await records(mw!, collector, 3);
    const byPath = new Map(all.map((r) => [r.path, r]));
    expect(byPath.get('/boom')).toMatchObject({ status: 500, route: '/boom' });
    expect(byPath.get('/teapot')).toMatchObject({ status: 418, route: '/teapot' });
    expect(byPath.get('/api/v1/items/3/fail')).toMatchObject({
      status: 500,
      route: '/api/v1/items/:itemId/fail',
    });
  });

  it('records a thrown non-Error, which Hono leaves to the server, as 500', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/not-an-error`)).status).toBe(500);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ status: 500, route: '/not-an-error' });
  });

  it('records the status of a custom onError', async () => {
    const app = build();
    app.onError((err, c) => c.json({ error: err.message }, 503));
    const base = await listen(app);
    expect((await fetch(`${base}/boom`)).status).toBe(503);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ status: 503, route: '/boom' });
  });

  it('records unmatched routes as 404 without a route, and a handler’s own 404 with its route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/nope/1?q=2`)).status).toBe(404);
    expect((await fetch(`${base}/missing`)).status).toBe(404);
    const all = await records(mw!, collector, 2);
    const byPath = new Map(all.map((r) => [r.path, r]));
    expect(byPath.get('/nope/1')).toMatchObject({ status: 404, route: null, method: 'GET' });
    expect(byPath.get('/missing')).toMatchObject({ status: 404, route: '/missing' });
  });

  it('records a middleware that answers early with its own pattern', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/admin/stats`)).status).toBe(401);
    expect((await fetch(`${base}/admin/stats`, { headers: { authorization: 'Bearer ok' } })).status).toBe(
      200,
    );
    const all = await records(mw!, collector, 2);
    expect(all.map((r) => [r.status, r.route])).toEqual([
      [401, '/admin/*'],
      [200, '/admin/stats'],
    ]);
  });

  it('times a streamed response until its last byte', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/stream`);
    expect(await res.text()).toBe('abbbb');
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/stream', route: '/stream', status: 200 });
    expect(r!.response_time).toBeGreaterThanOrEqual(190);
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

  it('does not record excluded paths', async () => {
    const base = await listen(build({ exclude: ['/health', /^\/api\//, '/users/:id'] }));
    await fetch(`${base}/health`);
    await fetch(`${base}/api/v1/items/9`);
    await fetch(`${base}/users/5`);
    await fetch(`${base}/boom`);
    await records(mw!, collector, 1);
    await sleep(50);
    await mw!.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(['/boom']);
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

  it('applies mappers typed with the Hono context', async () => {
    const base = await listen(
      build({
        getPath: (c) => c.req.path.toUpperCase(),
        getHostname: (c) => c.req.header('x-host'),
        getUserAgent: () => 'mapped-agent',
        getIPAddress: (c) => c.req.header('x-client'),
        getUserID: (c) => c.req.header('x-user-id'),
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
    config.getUserID = (c) => c.req.header('x-user-id');
    const app = new Hono();
    mw = honoAnalytics('config-key', config);
    app.use('*', mw);
    app.get('/me', (c) => c.text('me'));
    const base = await listen(app);
    await fetch(`${base}/me`, { headers: { 'x-user-id': '77' } });
    // No explicit flush: the interval timer sends the batch.
    await collector.waitForRequests(1, 5_000);
    expect(collector.requests()[0]).toMatchObject({ path: '/me', route: '/me', user_id: '77' });
    expect(collector.batches[0]!.api_key).toBe('config-key');
  });
});

describe('Hono with an execution context (edge runtimes)', () => {
  function executionContext() {
    const pending: Array<Promise<unknown>> = [];
    return {
      pending,
      ctx: {
        waitUntil: (p: Promise<unknown>) => {
          pending.push(p);
        },
        passThroughOnException: () => {},
        props: {},
      },
    };
  }

  it('hands the delivery to waitUntil, no flush call needed', async () => {
    const app = build();
    const { ctx, pending } = executionContext();
    const res = await app.fetch(
      new Request('https://edge.example/users/9?x=1', {
        headers: { 'cf-connecting-ip': '198.51.100.7', 'user-agent': 'edge-agent' },
      }),
      {},
      ctx,
    );
    expect(await res.json()).toEqual({ id: '9' });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(collector.requests()).toMatchObject([
      {
        path: '/users/9',
        route: '/users/:id',
        status: 200,
        ip_address: '198.51.100.7',
        user_agent: 'edge-agent',
        hostname: null,
      },
    ]);
  });

  it('times a streamed body to its end and skips a cancelled one', async () => {
    const app = build();
    const { ctx, pending } = executionContext();
    const res = await app.fetch(new Request('https://edge.example/stream'), {}, ctx);
    expect(res.headers.get('x-powered-by')).toBe('test');
    expect(await res.text()).toBe('abbbb');
    const cancelled = await app.fetch(new Request('https://edge.example/stream'), {}, ctx);
    const reader = cancelled.body!.getReader();
    await reader.read();
    await reader.cancel();
    await Promise.all(pending);
    expect(collector.requests()).toHaveLength(1);
    expect(collector.requests()[0]).toMatchObject({ path: '/stream', status: 200, route: '/stream' });
    expect(collector.requests()[0]!.response_time).toBeGreaterThanOrEqual(190);
  });

  it('works without an execution context (app.request)', async () => {
    const app = build();
    const res = await app.request('/teapot');
    expect(res.status).toBe(418);
    await res.text();
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/teapot', status: 418, route: '/teapot' });
  });
});

describe('honoAnalytics()', () => {
  it('is a named middleware with flush and shutdown', () => {
    const m = honoAnalytics('k', { serverUrl: 'http://127.0.0.1:9' });
    expect(m.name).toBe('apilensHono');
    expect(typeof m.flush).toBe('function');
    expect(typeof m.shutdown).toBe('function');
    return m.shutdown(10);
  });

  it('throws a TypeError naming the package for malformed options', () => {
    expect(() => honoAnalytics('k', { serverUrl: 'ftp://x' })).toThrow(
      /@apilens\/hono: invalid config\.serverUrl/,
    );
  });

  it('imports nothing Node-only at module top level', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const dir = new URL('../src/', import.meta.url);
    for (const file of await readdir(dir)) {
      const text = await readFile(new URL(file, dir), 'utf8');
      const imports = [...text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/|@apilens\/core$)/);
    }
  });
});
