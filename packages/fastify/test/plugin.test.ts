import { Readable } from 'node:stream';
import fastify5, { type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdapterUnderTest,
  describeAdapterCases,
  describeEndToEnd,
  type StartedApp,
} from '../../../test-utils/adapter-cases.js';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import { held, sleep, waitForRecords } from '../../../test-utils/helpers.js';
import defaultExport, { Config, fastifyAnalytics } from '../src/index.js';

// Both majors are exercised through the same tests; their instance types differ, hence `any`.
type Factory = (opts?: object) => any;
const majors: Array<[string, Factory]> = [
  ['Fastify 5', fastify5 as unknown as Factory],
  ['Fastify 4', fastify4 as unknown as Factory],
];

let collector: TestCollector;
let app: any;

beforeEach(async () => {
  collector = await startCollector();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await collector.close();
});

async function listen(a: any): Promise<string> {
  await a.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${a.server.address().port}`;
}

const byPath = <T extends { path: string }>(rows: T[]) =>
  [...rows].sort((x, y) => x.path.localeCompare(y.path));

/** Starts an app (on close: `app.close()`, which also shuts the plugin down). */
async function started(a: any): Promise<StartedApp> {
  return { url: await listen(a), handle: a.apilens, close: () => a.close() };
}

/** The shared cases' view of the Fastify test app. */
const cases = (Fastify: Factory): AdapterUnderTest => ({
  framework: 'Fastify',
  // The error's own `statusCode`, as Fastify's default error handler answers.
  nestedErrorStatus: 418,
  async start(options, apiKey = 'test-key') {
    const a = Fastify({ logger: false });
    await a.register(fastifyAnalytics, { apiKey, config: options });
    a.get('/users/:id', async (req: any) => ({ id: req.params.id }));
    a.get('/slow', async () => {
      await sleep(300);
      return 'late';
    });
    a.get('/held', async (req: FastifyRequest) => {
      await held.hold(req.raw);
      return 'late';
    });
    a.get('/health', async () => 'ok');
    a.get('/boom', async () => {
      throw new Error('boom');
    });
    a.get('/stream', (_req: any, reply: any) => {
      let n = 0;
      const body = new Readable({
        read() {
          if (n === 0) {
            n++;
            this.push('a');
            return;
          }
          setTimeout(() => this.push(n++ <= 4 ? 'b' : null), 50);
        },
      });
      reply.type('text/plain').send(body);
    });
    await a.register(
      async (v1: any) => {
        v1.get('/items', async () => 'all');
        v1.get('/items/:itemId', async (req: any) => req.params.itemId);
        v1.get('/items/:itemId/fail', async () => {
          throw Object.assign(new Error('teapot'), { statusCode: 418 });
        });
      },
      { prefix: '/api/v1' },
    );
    return started(a);
  },
  exclude: {
    patterns: ['/health', /^\/internal\//, '/api/v1/items/:itemId'],
    requests: ['/health', '/internal/metrics', '/api/v1/items/9', '/users/5'],
    recorded: ['/users/5'],
  },
  typedMappers: {
    getPath: (req: FastifyRequest) => req.url.split('?')[0]!.toUpperCase(),
    getHostname: (req: FastifyRequest) => req.headers['x-host'] as string,
    getUserAgent: () => 'mapped-agent',
    getIPAddress: (req: FastifyRequest) => req.headers['x-client'] as string,
    getUserID: (req: FastifyRequest) => req.headers['x-user-id'] as string,
  },
  async startWithConfigInstance(serverUrl) {
    const config = new Config<FastifyRequest>();
    config.serverUrl = serverUrl;
    config.flushIntervalMs = 50;
    config.getUserID = (req) => req.headers['x-user-id'] as string;
    const a = Fastify();
    await a.register(fastifyAnalytics, { apiKey: 'config-key', config });
    a.get('/me', async () => 'me');
    return started(a);
  },
  meRoute: '/me',
});

describeEndToEnd(cases(fastify5 as unknown as Factory));

describe.each(majors)('%s', (_name, Fastify) => {
  describeAdapterCases(cases(Fastify));

  it('records every route, child plugins and prefixes included, and delivers on app.close()', async () => {
    app = Fastify();
    await app.register(fastifyAnalytics, {
      apiKey: 'key-1',
      // A long interval: only app.close() can deliver these records.
      config: { serverUrl: collector.url, flushIntervalMs: 60_000 },
    });
    app.get('/users/:id', async (req: any) => ({ id: req.params.id }));
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    app.get('/teapot', async (_req: any, reply: any) => reply.code(418).send({ short: true }));
    app.get('/health', { config: { analytics: false } }, async () => 'ok');
    await app.register(
      async (child: any) => {
        child.get('/orders/:orderId', async () => ({ ok: true }));
        await child.register(
          async (grandchild: any) => {
            grandchild.post('/items', async (_req: any, reply: any) =>
              reply.code(201).send({ created: true }),
            );
          },
          { prefix: '/nested' },
        );
      },
      { prefix: '/v1' },
    );
    const base = await listen(app);

    const headers = { 'user-agent': 'vitest-agent', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' };
    expect((await fetch(`${base}/users/42?q=1`, { headers })).status).toBe(200);
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/teapot`)).status).toBe(418);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/v1/orders/7`)).status).toBe(200);
    expect((await fetch(`${base}/v1/nested/items`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    expect(collector.requests()).toHaveLength(0);

    await app.close();
    app = undefined;
    const rows = byPath(collector.requests());
    expect(collector.batches[0]).toMatchObject({ api_key: 'key-1', framework: 'Fastify', privacy_level: 0 });
    expect(rows).toMatchObject([
      { path: '/boom', route: '/boom', method: 'GET', status: 500 },
      { path: '/nowhere', route: null, method: 'GET', status: 404 },
      { path: '/teapot', route: '/teapot', status: 418 },
      {
        path: '/users/42',
        route: '/users/:id',
        status: 200,
        user_agent: 'vitest-agent',
        ip_address: '203.0.113.9',
        hostname: base.slice('http://'.length),
      },
      { path: '/v1/nested/items', route: '/v1/nested/items', method: 'POST', status: 201 },
      { path: '/v1/orders/7', route: '/v1/orders/:orderId', status: 200 },
    ]);
  });

  it('passes the Fastify request to mappers, honours exclude and privacy level 2', async () => {
    app = Fastify();
    await app.register(fastifyAnalytics, {
      apiKey: 'k',
      config: {
        serverUrl: collector.url,
        privacyLevel: 2,
        getUserID: (req: FastifyRequest) => (req.headers['x-user'] as string | undefined) ?? null,
        exclude: ['/internal/:name'],
      },
    });
    app.get('/me', async () => ({}));
    app.get('/internal/:name', async () => ({}));
    const base = await listen(app);
    await fetch(`${base}/internal/metrics`);
    await fetch(`${base}/me`, { headers: { 'x-user': 'u-7', 'x-forwarded-for': '198.51.100.1' } });
    // onResponse may run just after the client has the response: wait for the record, not a flush.
    await waitForRecords(app.apilens, collector, 1);
    await app.apilens.flush();
    expect(collector.requests()).toMatchObject([{ path: '/me', user_id: 'u-7', ip_address: null }]);
    expect(collector.batches[0]!.privacy_level).toBe(2);
    expect(app.apilens.stats()).toMatchObject({ sent: 1, queued: 0, dropped: 0 });
  });

  it('works through fastify.inject and the default export', async () => {
    app = Fastify();
    await app.register(defaultExport, { apiKey: 'k', config: { serverUrl: collector.url } });
    app.get('/ping', async () => 'pong');
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/ping' });
    expect(res.statusCode).toBe(200);
    await app.close();
    app = undefined;
    expect(collector.requests()).toMatchObject([{ path: '/ping', route: '/ping', status: 200 }]);
  });

  it.each([
    [{ apiKey: 'k', config: { privacyLevel: 5 } }, /@apilens\/fastify: invalid config\.privacyLevel/],
    [{ apiKey: 'k', config: { serverUrl: 'ftp://x' } }, /config\.serverUrl/],
    [{ apiKey: 'k', config: 'nope' }, /@apilens\/fastify: config must be/],
    [{ apiKey: 42 }, /@apilens\/fastify: options\.apiKey must be a string/],
    [
      { apiKey: 'k', serverUrl: 'http://x' },
      /options\.serverUrl is not a plugin option: put it inside options\.config/,
    ],
  ])('fails registration on invalid options %j with a TypeError', async (options, message) => {
    app = Fastify();
    const error = await app.register(fastifyAnalytics, options).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(message);
  });

  it('refuses to be registered twice in the same context', async () => {
    app = Fastify();
    await app.register(fastifyAnalytics, { apiKey: 'k', config: { serverUrl: collector.url } });
    await expect(
      app.register(fastifyAnalytics, { apiKey: 'k', config: { serverUrl: collector.url } }),
    ).rejects.toThrow(/registered twice/);
  });

  it('records nothing and does not break the app without an API key', async () => {
    app = Fastify();
    await app.register(fastifyAnalytics, { config: { serverUrl: collector.url } });
    app.get('/x', async () => 'x');
    const base = await listen(app);
    expect((await fetch(`${base}/x`)).status).toBe(200);
    await app.close();
    app = undefined;
    expect(collector.attempts).toBe(0);
  });
});
