import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import {
  type AdapterUnderTest,
  describeAdapterCases,
  describeEndToEnd,
  useAdapterTest,
} from '../../../test-utils/adapter-cases.js';
import { held, listening } from '../../../test-utils/helpers.js';
import {
  Config,
  type ExpressAnalyticsMiddleware,
  type ExpressOptions,
  expressAnalytics,
} from '../src/index.js';

type ExpressFactory = typeof express5;

const majors: Array<[string, ExpressFactory]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressFactory],
];

/** The test app: every route the shared cases and the Express-specific ones below request. */
function makeApp(express: ExpressFactory, options: ExpressOptions, apiKey = 'test-key') {
  const app = express();
  const mw = expressAnalytics(apiKey, options);
  app.use(mw);
  // A middleware that answers before any route.
  app.use('/early', (_req, res) => {
    res.status(204).end();
  });
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
        res.end();
      }
    }, 50);
  });
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.send('late'), 300);
  });
  app.get('/held', async (req, res) => {
    await held.hold(req);
    res.send('late');
  });
  const admin = express();
  admin.get('/stats/:day', (_req, res) => {
    res.send('stats');
  });
  app.use('/admin', admin);
  // A mount path with a parameter: Express keeps no template for it.
  const members = express.Router();
  members.get('/users/:id', (_req, res) => {
    res.send('member');
  });
  app.use('/orgs/:orgId', members);
  app.get('/health', (_req, res) => {
    res.send('ok');
  });
  app.get('/internal/metrics', (_req, res) => {
    res.send('m');
  });
  return { app, mw };
}

/** The shared cases' view of the Express test app. */
const cases = (express: ExpressFactory): AdapterUnderTest => ({
  framework: 'Express',
  nestedErrorStatus: 418,
  async start(options, apiKey) {
    const { app, mw } = makeApp(express, options as ExpressOptions, apiKey);
    return { ...(await listening(app.listen(0, '127.0.0.1'))), handle: mw };
  },
  exclude: {
    patterns: ['/health', /^\/internal\//, '/api/v1/items/:itemId'],
    requests: ['/health', '/internal/metrics', '/api/v1/items/9', '/users/5'],
    recorded: ['/users/5'],
  },
  typedMappers: {
    getPath: (req) => req.path.toUpperCase(),
    getHostname: (req) => req.get('x-host'),
    getUserAgent: () => 'mapped-agent',
    getIPAddress: (req) => req.get('x-client'),
    getUserID: (req) => req.get('x-user-id'),
  } satisfies ExpressOptions,
  async startWithConfigInstance(serverUrl) {
    const config = new Config();
    config.serverUrl = serverUrl;
    config.flushIntervalMs = 50;
    config.getUserID = (req) => req.get('x-user-id');
    const app = express();
    const mw = expressAnalytics('config-key', config);
    app.use(mw);
    app.get('/me', (_req, res) => {
      res.send('me');
    });
    return { ...(await listening(app.listen(0, '127.0.0.1'))), handle: mw };
  },
  meRoute: '/me',
});

describeEndToEnd(cases(express5));

describe.each(majors)('%s', (_name, express) => {
  describeAdapterCases(cases(express));

  const t = useAdapterTest<ExpressAnalyticsMiddleware>();
  const { records } = t;
  const listen = (app: ReturnType<ExpressFactory>) => t.listen(app.listen(0, '127.0.0.1'));

  function build(config: ExpressOptions = {}) {
    const made = makeApp(express, { ...t.options(), ...config });
    t.handle = made.mw;
    return made.app;
  }

  it('records routes of a mounted sub-app', async () => {
    const base = await listen(build());
    await fetch(`${base}/admin/stats/monday`);
    const [r] = await records(1);
    expect(r).toMatchObject({ path: '/admin/stats/monday', route: '/admin/stats/:day', status: 200 });
  });

  it('records a mount path with a parameter with its value, and a middleware’s answer without a route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/orgs/42/users/7`)).status).toBe(200);
    expect((await fetch(`${base}/early/anything`)).status).toBe(204);
    const all = await records(2);
    expect(all.map((r) => [r.path, r.route, r.status])).toEqual([
      ['/orgs/42/users/7', '/orgs/42/users/:id', 200],
      ['/early/anything', null, 204],
    ]);
  });

  it('records errors forwarded with next(err) with their status', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/next-error`)).status).toBe(503);
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 503, route: '/next-error', path: '/next-error' });
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
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 502, route: '/boom', path: '/boom' });
  });

  it('records a method without a route as 404 without a route', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/users/1`, { method: 'DELETE' })).status).toBe(404);
    const [r] = await records(1);
    expect(r).toMatchObject({ path: '/users/1', status: 404, route: null, method: 'DELETE' });
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
    await records(1);
    expect(t.collector.requests().map((r) => r.path)).toEqual(['/users/5']);
    expect(seen).toEqual(['GET', 'GET']);
  });
});

describe('Express 5: async handlers', () => {
  const t = useAdapterTest<ExpressAnalyticsMiddleware>();

  it('records a rejected promise with the status the error handler sent and the failing route, nested routers included', async () => {
    const { app, mw } = makeApp(express5, t.options());
    t.handle = mw;
    app.get('/async/:id', async () => {
      throw new Error('async failure');
    });
    const nested = express5.Router();
    nested.get('/:id/fail', async () => {
      throw Object.assign(new Error('async teapot'), { status: 418 });
    });
    const outer = express5.Router();
    outer.use('/tasks', nested);
    app.use('/v2', outer);
    const base = await t.listen(app.listen(0, '127.0.0.1'));
    expect((await fetch(`${base}/async/1`)).status).toBe(500);
    expect((await fetch(`${base}/v2/tasks/9/fail`)).status).toBe(418);
    const all = await t.records(2);
    expect(all.map((r) => [r.path, r.route, r.status])).toEqual([
      ['/async/1', '/async/:id', 500],
      ['/v2/tasks/9/fail', '/v2/tasks/:id/fail', 418],
    ]);
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
    const create = () => expressAnalytics('k', { privacyLevel: 3 as 0 });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^@apilens\/express: invalid config\.privacyLevel: expected 0, 1 or 2, got 3\.$/);
  });

  it('passes requests through untouched without an API key', async () => {
    const app = express5();
    const mw = expressAnalytics(undefined);
    expect(mw.analytics.enabled).toBe(false);
    app.use(mw);
    app.get('/x', (_req, res) => {
      res.send('x');
    });
    const server = await listening(app.listen(0, '127.0.0.1'));
    const res = await fetch(`${server.url}/x`);
    expect(await res.text()).toBe('x');
    await server.close();
  });
});
