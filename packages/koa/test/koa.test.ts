import { Readable } from 'node:stream';
import Router from '@koa/router';
import Koa3 from 'koa';
import mount from 'koa-mount';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import {
  type AdapterUnderTest,
  describeAdapterCases,
  describeEndToEnd,
  useAdapterTest,
} from '../../../test-utils/adapter-cases.js';
import { held, listening, sleep } from '../../../test-utils/helpers.js';
import { Config, type KoaAnalyticsMiddleware, type KoaOptions, koaAnalytics } from '../src/index.js';

type KoaClass = typeof Koa3;
const majors: Array<[string, KoaClass]> = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

/** Sets ctx.state.userId from x-user-id after the analytics middleware, for the typed mappers. */
const setUserId: Koa3.Middleware = (ctx, next) => {
  ctx.state.userId = ctx.get('x-user-id') || undefined;
  return next();
};

/** The test app: every route the shared cases and the Koa-specific ones below request. */
function makeApp(
  Koa: KoaClass,
  options: KoaOptions,
  before: Koa3.Middleware = setUserId,
  apiKey = 'test-key',
) {
  const app = new Koa();
  app.silent = true;
  const mw = koaAnalytics(apiKey, options);
  app.use(mw);
  app.use(before);

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
          this.push(n++ <= 4 ? 'b' : null);
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
  root.get('/held', async (ctx) => {
    await held.hold(ctx.req);
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
  return { app, mw };
}

/** The shared cases' view of the Koa test app. */
const cases = (Koa: KoaClass): AdapterUnderTest => ({
  framework: 'Koa',
  nestedErrorStatus: 418,
  async start(options, apiKey) {
    const { app, mw } = makeApp(Koa, options as KoaOptions, setUserId, apiKey);
    return { ...(await listening(app.listen(0, '127.0.0.1'))), handle: mw };
  },
  // @koa/router may record the prefixed root route with a trailing slash.
  itemsListRoute: /^\/api\/v1\/items\/?$/,
  exclude: {
    patterns: ['/health', /^\/api\/v1\/items\/\d+$/, '/boom'],
    requests: ['/health', '/api/v1/items/9', '/boom', '/users/5'],
    recorded: ['/users/5'],
  },
  typedMappers: {
    getPath: (ctx) => ctx.path.toUpperCase(),
    getHostname: (ctx) => ctx.get('x-host'),
    getUserAgent: () => 'mapped-agent',
    getIPAddress: (ctx) => ctx.get('x-client'),
    // Set by a later middleware (setUserId): the mappers run once the response is done.
    getUserID: (ctx) => ctx.state.userId,
  } satisfies KoaOptions,
  async startWithConfigInstance(serverUrl) {
    const config = new Config();
    config.serverUrl = serverUrl;
    config.flushIntervalMs = 50;
    config.getUserID = (ctx) => ctx.get('x-user-id');
    const app = new Koa();
    const mw = koaAnalytics('config-key', config);
    app.use(mw);
    app.use((ctx) => {
      ctx.body = 'me';
    });
    return { ...(await listening(app.listen(0, '127.0.0.1'))), handle: mw };
  },
  meRoute: null,
});

describeEndToEnd(cases(Koa3));

describe.each(majors)('%s', (_name, Koa) => {
  describeAdapterCases(cases(Koa));

  const t = useAdapterTest<KoaAnalyticsMiddleware>();
  const { records } = t;
  const listen = (app: { listen: Koa3['listen'] }) => t.listen(app.listen(0, '127.0.0.1'));

  function build(config: KoaOptions = {}, before?: Koa3.Middleware) {
    const made = makeApp(Koa, { ...t.options(), ...config }, before);
    t.handle = made.mw;
    return made.app;
  }

  it('records ctx.throw and errors carrying a status with the status Koa answered', async () => {
    const base = await listen(build());
    expect((await fetch(`${base}/forbidden`)).status).toBe(403);
    expect((await fetch(`${base}/unavailable`)).status).toBe(503);
    const byPath = new Map((await records(2)).map((r) => [r.path, r]));
    expect(byPath.get('/forbidden')).toMatchObject({ status: 403, route: '/forbidden' });
    expect(byPath.get('/unavailable')).toMatchObject({ status: 503, route: '/unavailable' });
  });

  it('leaves prefixes added outside @koa/router (koa-mount) out of the route', async () => {
    const sub = new Koa();
    const router = new Router();
    router.get('/items/:id', (ctx) => {
      ctx.body = 'item';
    });
    sub.use(router.routes());
    const app = new Koa();
    app.silent = true;
    const mw = koaAnalytics('test-key', t.options());
    t.handle = mw;
    app.use(mw);
    app.use(mount('/v2', sub as unknown as Koa3));
    const base = await listen(app);
    expect((await fetch(`${base}/v2/items/5`)).status).toBe(200);
    const [r] = await records(1);
    expect(r).toMatchObject({ path: '/v2/items/5', route: '/items/:id', status: 200 });
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
    const [r] = await records(1);
    expect(r).toMatchObject({ status: 422, route: '/boom', path: '/boom' });
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
    const create = () => koaAnalytics('k', { maxBatchSize: 0 });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(
      /^@apilens\/koa: invalid config\.maxBatchSize: expected an integer from 1 to 100000, got 0\.$/,
    );
  });
});
