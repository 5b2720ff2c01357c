import type { IncomingMessage, Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { stream } from 'hono/streaming';
import { Hono as Hono47 } from 'hono47';
import { HTTPException as HTTPException47 } from 'hono47/http-exception';
import { stream as stream47 } from 'hono47/streaming';
import { describe, expect, it } from 'vitest';
import {
  type AdapterUnderTest,
  describeAdapterCases,
  describeEndToEnd,
  useAdapterTest,
} from '../../../test-utils/adapter-cases.js';
import { held, listening, sleep } from '../../../test-utils/helpers.js';
import { Config, type HonoAnalyticsMiddleware, type HonoOptions, honoAnalytics } from '../src/index.js';
import { routeSource } from '../src/utils.js';
import { moduleLoads, walkGraph } from './module-graph.js';

const serveNode = (app: Hono) => serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;

/** What the test app needs of a Hono major. */
interface HonoModule {
  Hono: typeof Hono;
  HTTPException: typeof HTTPException;
  stream: typeof stream;
}
const hono4: HonoModule = { Hono, HTTPException, stream };
// Hono 4.7 has no `hono/route`: the adapter falls back to `c.req.matchedRoutes`.
const hono47 = { Hono: Hono47, HTTPException: HTTPException47, stream: stream47 } as unknown as HonoModule;
const majors: Array<[string, HonoModule]> = [
  ['Hono 4 (current)', hono4],
  ['Hono 4.7', hono47],
];

/** The test app: every route the shared cases and the Hono-specific ones below request. */
function makeApp(
  options: HonoOptions,
  { Hono, HTTPException, stream }: HonoModule = hono4,
  apiKey = 'test-key',
) {
  const app = new Hono();
  // Hono's default answer, without its console.error.
  app.onError((err, c) =>
    err instanceof HTTPException ? err.getResponse() : c.text('Internal Server Error', 500),
  );
  const mw = honoAnalytics(apiKey, options);
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
  app.get('/held', async (c) => {
    // @hono/node-server passes the Node request as c.env.incoming.
    await held.hold((c.env as { incoming: IncomingMessage }).incoming);
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
  return { app, mw };
}

/** The shared cases' view of the Hono test app. */
const cases = (mod: HonoModule): AdapterUnderTest => ({
  framework: 'Hono',
  // A plain Error from a handler: Hono's default error answer.
  nestedErrorStatus: 500,
  async start(options, apiKey) {
    const { app, mw } = makeApp(options as HonoOptions, mod, apiKey);
    return { ...(await listening(serveNode(app))), handle: mw };
  },
  exclude: {
    patterns: ['/health', /^\/api\//, '/users/:id'],
    requests: ['/health', '/api/v1/items/9', '/users/5', '/boom'],
    recorded: ['/boom'],
  },
  typedMappers: {
    getPath: (c) => c.req.path.toUpperCase(),
    getHostname: (c) => c.req.header('x-host'),
    getUserAgent: () => 'mapped-agent',
    getIPAddress: (c) => c.req.header('x-client'),
    getUserID: (c) => c.req.header('x-user-id'),
  } satisfies HonoOptions,
  async startWithConfigInstance(serverUrl) {
    const config = new Config();
    config.serverUrl = serverUrl;
    config.flushIntervalMs = 50;
    config.getUserID = (c) => c.req.header('x-user-id');
    const app = new mod.Hono();
    const mw = honoAnalytics('config-key', config);
    app.use('*', mw);
    app.get('/me', (c) => c.text('me'));
    return { ...(await listening(serveNode(app))), handle: mw };
  },
  meRoute: '/me',
});

describeEndToEnd(cases(hono4));

describe.each(majors)('%s', (name, mod) => {
  describeAdapterCases(cases(mod));

  it(`reads the matched routes through ${mod === hono4 ? 'hono/route' : 'c.req.matchedRoutes'}`, () => {
    // Hono ≥ 4.8 has hono/route; on 4.7 the helper (of the installed Hono 4.13) does not know the
    // app's requests, and the adapter goes back to c.req.matchedRoutes for good.
    expect(routeSource(), name).toBe(mod === hono4 ? 'hono/route' : 'c.req.matchedRoutes');
  });
});

const t = useAdapterTest<HonoAnalyticsMiddleware>();
const { records } = t;
const listen = (app: Hono) => t.listen(serveNode(app));

function build(config: HonoOptions = {}) {
  const made = makeApp({ ...t.options(), ...config });
  t.handle = made.mw;
  return made.app;
}

describe('Hono on @hono/node-server', () => {
  it('records an HTTPException with its status', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/teapot`)).status).toBe(418);
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 418, route: '/teapot' });
  });

  it('records a thrown non-Error, which Hono leaves to the server, as 500', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/not-an-error`)).status).toBe(500);
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 500, route: '/not-an-error' });
  });

  it('records the status of a custom onError', async () => {
    const app = build();
    app.onError((err, c) => c.json({ error: err.message }, 503));
    const base = await listen(app);
    expect((await fetch(`${base}/boom`)).status).toBe(503);
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 503, route: '/boom' });
  });

  it('records a handler’s own 404 with its route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/missing`)).status).toBe(404);
    const [r] = await records(1);
    expect(r).toMatchObject({ path: '/missing', status: 404, route: '/missing' });
  });

  it('records a middleware that answers early with its own pattern', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/admin/stats`)).status).toBe(401);
    expect((await fetch(`${base}/admin/stats`, { headers: { authorization: 'Bearer ok' } })).status).toBe(
      200,
    );
    const all = await records(2);
    expect(all.map((r) => [r.status, r.route])).toEqual([
      [401, '/admin/*'],
      [200, '/admin/stats'],
    ]);
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
    expect(t.collector.requests()).toMatchObject([
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
    expect(t.collector.requests()).toHaveLength(1);
    expect(t.collector.requests()[0]).toMatchObject({ path: '/stream', status: 200, route: '/stream' });
    expect(t.collector.requests()[0]!.response_time).toBeGreaterThanOrEqual(190);
  });

  it('works without an execution context (app.request)', async () => {
    const app = build();
    const res = await app.request('/teapot');
    expect(res.status).toBe(418);
    await res.text();
    const [r] = await records(1);
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
    const create = () => honoAnalytics('k', { serverUrl: 'ftp://x' });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^@apilens\/hono: invalid config\.serverUrl: expected an http/);
  });
});

describe('what importing @apilens/hono loads (edge runtimes)', () => {
  const src = (pkg: string, file = 'index.ts') =>
    fileURLToPath(new URL(`../../${pkg}/src/${file}`, import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  // What an edge runtime can load when the module is evaluated: the adapter's own files, the core,
  // and Hono itself. Everything else (node:*, undici, other packages) only inside functions.
  const allowed = (specifier: string) =>
    specifier.startsWith('./') ||
    /^@apilens\/core(\/internal)?$/.test(specifier) ||
    /^hono(\/|$)/.test(specifier);

  it('catches every way of loading a module, and tells top level from function bodies', () => {
    const loads = (source: string) =>
      moduleLoads(source).map((l) => `${l.kind} ${l.specifier}${l.topLevel ? '' : ' (in a function)'}`);
    expect(
      loads(`
        import 'node:fs';
        import zlib from 'zlib';
        import * as os from 'node:os';
        import { type A, b } from 'node:net';
        import type { C } from 'node:tls';
        import { type D } from 'node:dns';
        export { e } from 'node:util';
        export type { F } from 'node:vm';
        import g = require('node:path');
        const h = require('node:http');
        const i = await import('node:crypto');
        type J = typeof import('undici');
        export function lazy() { return import('node:zlib'); }
        const later = () => require('node:child_process');
      `),
    ).toEqual([
      'import node:fs',
      'import zlib',
      'import node:os',
      'import node:net',
      'export node:util',
      'require node:path',
      'require node:http',
      'dynamic import node:crypto',
      'dynamic import node:zlib (in a function)',
      'require node:child_process (in a function)',
    ]);
  });

  it('imports nothing Node-only at module top level, in the adapter or in the core it pulls in', () => {
    const { files, loads } = walkGraph(
      src('hono'),
      { '@apilens/core': src('core'), '@apilens/core/internal': src('core', 'internal.ts') },
      root,
    );
    // The walk went through the core, down to its transport and compression.
    expect(files).toEqual(
      expect.arrayContaining([
        'hono/src/utils.ts',
        'core/src/index.ts',
        'core/src/transport.ts',
        'core/src/compress.ts',
      ]),
    );
    const problems = loads
      .filter((l) => l.kind === 'require' || (l.topLevel && !allowed(l.specifier)))
      .map((l) => `${l.file}: ${l.kind} ${l.specifier}`);
    expect(problems).toEqual([]);
    // Node modules are loaded lazily, where needed (gzip, the undici transport).
    expect(loads.filter((l) => !l.topLevel).map((l) => l.specifier)).toEqual(
      expect.arrayContaining(['node:zlib', 'undici']),
    );
  });
});
