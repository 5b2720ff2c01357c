import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import {
  type ApilensError,
  Config,
  type KoaAnalyticsMiddleware,
  type KoaOptions,
  koaAnalytics,
} from '../src/index.js';

type KoaClass = typeof Koa3;
const majors: Array<[string, KoaClass]> = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flushes until the collector holds `n` records: 'finish' may fire just after the client read the response. */
async function records(mw: KoaAnalyticsMiddleware, collector: TestCollector, n: number) {
  const deadline = Date.now() + 5_000;
  while (collector.requests().length < n) {
    if (Date.now() > deadline)
      throw new Error(`collector got ${collector.requests().length} of ${n} records`);
    await mw.flush();
    await sleep(5);
  }
  return collector.requests();
}

describe.each(majors)('%s', (_name, Koa) => {
  let collector: TestCollector;
  let server: Server | undefined;
  let mw: KoaAnalyticsMiddleware | undefined;

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

  async function listen(app: { listen: Koa3['listen'] }): Promise<string> {
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function build(config: KoaOptions = {}, before?: Koa3.Middleware) {
    const app = new Koa();
    app.silent = true;
    mw = koaAnalytics('test-key', { serverUrl: collector.url, flushIntervalMs: 60_000, ...config });
    app.use(mw);
    if (before) app.use(before);

    const root = new Router();
    root.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    root.get('/boom', () => {
      throw new Error('boom');
    });
    root.get('/forbidden', (ctx) => {
      ctx.throw(403, 'no');
    });
    root.get('/unavailable', () => {
      throw Object.assign(new Error('down'), { statusCode: 503 });
    });
    root.get('/stream', (ctx) => {
      let n = 0;
      ctx.body = new Readable({
        read() {
          if (n === 0) {
            n++;
            this.push('a');
            return;
          }
          setTimeout(() => {
            this.push(n++ < 4 ? 'b' : null);
          }, 50);
        },
      });
    });
    root.get('/health', (ctx) => {
      ctx.body = 'ok';
    });
    root.get('/slow', async (ctx) => {
      await sleep(300);
      ctx.body = 'late';
    });

    const api = new Router({ prefix: '/api/v1' });
    const items = new Router();
    items.get('/', (ctx) => {
      ctx.body = 'all';
    });
    items.get('/:itemId', (ctx) => {
      ctx.body = ctx.params.itemId;
    });
    items.get('/:itemId/fail', (ctx) => {
      ctx.throw(418, 'teapot');
    });
    api.use('/items', items.routes(), items.allowedMethods());

    app.use(root.routes()).use(root.allowedMethods());
    app.use(api.routes()).use(api.allowedMethods());
    return app;
  }

  it('records the fields and route templates, prefixes and nested routers included', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/users/42?expand=1`, {
      headers: { 'user-agent': 'test-agent/1.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
    });
    expect(res.status).toBe(200);
    await fetch(`${base}/api/v1/items/7?x=y`);
    await fetch(`${base}/api/v1/items`);
    const all = await records(mw!, collector, 3);
    const batch = collector.batches[0]!;
    expect(batch).toMatchObject({ api_key: 'test-key', framework: 'Koa', privacy_level: 0 });
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
    expect(byPath.get('/api/v1/items')?.route).toMatch(/^\/api\/v1\/items\/?$/);
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

  it('records thrown errors and ctx.throw with the status Koa answered', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/forbidden`)).status).toBe(403);
    expect((await fetch(`${base}/unavailable`)).status).toBe(503);
    expect((await fetch(`${base}/api/v1/items/3/fail`)).status).toBe(418);
    const all = await records(mw!, collector, 4);
    const byPath = new Map(all.map((r) => [r.path, r]));
    expect(byPath.get('/boom')).toMatchObject({ status: 500, route: '/boom' });
    expect(byPath.get('/forbidden')).toMatchObject({ status: 403, route: '/forbidden' });
    expect(byPath.get('/unavailable')).toMatchObject({ status: 503, route: '/unavailable' });
    expect(byPath.get('/api/v1/items/3/fail')).toMatchObject({
      status: 418,
      route: '/api/v1/items/:itemId/fail',
    });
  });

  it('records the status set by an error-handling middleware', async () => {
    const base = await listen(
      build({}, async (ctx, next) => {
        try {
          await next();
        } catch {
          ctx.status = 422;
          ctx.body = { error: 'handled' };
        }
      }),
    );
    expect((await fetch(`${base}/boom`)).status).toBe(422);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ status: 422, route: '/boom', path: '/boom' });
  });

  it('records unmatched routes as 404 without a route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/nope/1?q=2`)).status).toBe(404);
    const [r] = await records(mw!, collector, 1);
    expect(r).toMatchObject({ path: '/nope/1', status: 404, route: null, method: 'GET' });
  });

  it('times a streamed body until its last byte', async () => {
    const base = await listen(build());
    const res = await fetch(`${base}/stream`);
    expect(await res.text()).toBe('abbb');
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
    const base = await listen(build({ exclude: ['/health', /^\/api\/v1\/items\/\d+$/, '/boom'] }));
    await fetch(`${base}/health`);
    await fetch(`${base}/api/v1/items/9`);
    await fetch(`${base}/boom`);
    await fetch(`${base}/users/5`);
    await records(mw!, collector, 1);
    await sleep(50);
    await mw!.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(['/users/5']);
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

  it('applies mappers typed with the Koa context', async () => {
    const base = await listen(
      build(
        {
          getPath: (ctx) => ctx.path.toUpperCase(),
          getHostname: (ctx) => ctx.get('x-host'),
          getUserAgent: () => 'mapped-agent',
          getIPAddress: (ctx) => ctx.get('x-client'),
          getUserID: (ctx) => ctx.state.userId,
        },
        (ctx, next) => {
          ctx.state.userId = 'u-1';
          return next();
        },
      ),
    );
    await fetch(`${base}/users/8`, { headers: { 'x-host': 'api.example.com', 'x-client': '198.51.100.1' } });
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
    config.getUserID = (ctx) => ctx.get('x-user-id');
    const app = new Koa();
    mw = koaAnalytics('config-key', config);
    app.use(mw);
    app.use((ctx) => {
      ctx.body = 'me';
    });
    const base = await listen(app);
    await fetch(`${base}/me`, { headers: { 'x-user-id': '77' } });
    // No explicit flush: the interval timer sends the batch.
    await collector.waitForRequests(1, 5_000);
    expect(collector.requests()[0]).toMatchObject({ path: '/me', route: null, user_id: '77' });
    expect(collector.batches[0]!.api_key).toBe('config-key');
  });
});

describe('koaAnalytics()', () => {
  it('is a named middleware with flush and shutdown', () => {
    const mw = koaAnalytics('k', { serverUrl: 'http://127.0.0.1:9' });
    expect(mw.name).toBe('apilensKoa');
    expect(typeof mw.flush).toBe('function');
    expect(typeof mw.shutdown).toBe('function');
    return mw.shutdown(10);
  });

  it('throws a TypeError naming the package for malformed options', () => {
    expect(() => koaAnalytics('k', { maxBatchSize: 0 })).toThrow(
      /@apilens\/koa: invalid config\.maxBatchSize/,
    );
  });
});
