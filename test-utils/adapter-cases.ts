// The cases every HTTP adapter (Express, Koa, Hono, Fastify) must pass the same way, run against
// each framework's own test app: fields and routes, errors, 404s, streamed bodies, exclusion,
// mappers, privacy, shutdown. What only one framework does (its own error middleware, mounted
// sub-apps, early answers from middleware…) stays in the package's own test file.

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AnalyticsControls } from '@apilens/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from './collector.js';
import { checkEndToEnd } from './end-to-end.js';
import { between, held, type Listening, listening, until, waitForRecords } from './helpers.js';

/** The controls every adapter exposes (middleware, `app.apilens` or `AnalyticsService`). */
export type AdapterHandle = Pick<AnalyticsControls, 'flush' | 'shutdown' | 'stats'>;

export interface StartedApp {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  handle: AdapterHandle;
  /** Stops the server. */
  close(): Promise<void>;
}

/** SDK options as the shared cases give them; each adapter passes them on as its own options type. */
export type CaseOptions = Record<string, unknown>;

export interface AdapterUnderTest {
  /** The `framework` field of the batches, e.g. 'Express'. */
  framework: string;
  /**
   * Starts the framework's test app on 127.0.0.1 with the adapter under `apiKey` and these
   * options. The app serves at least GET /users/:id (answers `{ id }`), /slow (answers after a
   * 300 ms sleep), /held (calls `held.hold()` with the Node request, then answers), /health,
   * /boom (the handler throws an `Error`), /stream (writes `a`, then `b` four times, 50 ms
   * apart), and a nested router (or sub-app, or prefixed plugin) answering /api/v1/items,
   * /api/v1/items/:itemId and /api/v1/items/:itemId/fail (the handler fails).
   */
  start(options: CaseOptions, apiKey?: string): Promise<StartedApp>;
  /** Status the client gets from GET /api/v1/items/3/fail (the framework's answer to that failure). */
  nestedErrorStatus: number;
  /** Route recorded for GET /api/v1/items. @default '/api/v1/items' */
  itemsListRoute?: string | RegExp;
  /** `exclude` patterns for the standard app, the paths requested, and those that must be recorded. */
  exclude: { patterns: Array<string | RegExp>; requests: string[]; recorded: string[] };
  /**
   * Mappers typed with the framework's request, for GET /users/8 with the headers x-host:
   * api.example.com, x-client: 198.51.100.1 and x-user-id: u-1. They must map the path to
   * '/USERS/8', the user agent to 'mapped-agent', the rest to those header values
   * (`getUserID` is also what the end-to-end test uses).
   */
  typedMappers: CaseOptions;
  /**
   * Starts a minimal app answering GET /me, with the adapter given API key 'config-key' and a
   * `new Config()` whose serverUrl is `serverUrl`, flushIntervalMs 50 and getUserID reads x-user-id.
   */
  startWithConfigInstance(serverUrl: string): Promise<StartedApp>;
  /** Route recorded for GET /me in that app (null where no router serves it). */
  meRoute: string | null;
}

export interface AdapterTestContext<H extends AdapterHandle> {
  /** A fresh loopback collector for each test. */
  readonly collector: TestCollector;
  /** The adapter of the app under test: shut down after each test. */
  handle: H | undefined;
  /** Options pointing the adapter at the collector, with a flush interval no test waits for. */
  options(): { serverUrl: string; flushIntervalMs: number };
  /** Waits until `server` listens (it is closed after the test); resolves with its base URL. */
  listen(server: Server): Promise<string>;
  /** Flushes until the collector holds `n` records; resolves with all of them. */
  records(n: number): Promise<ReturnType<TestCollector['requests']>>;
}

/** Registers the per-test set-up and clean-up of an adapter test (collector, server, adapter). */
export function useAdapterTest<H extends AdapterHandle>(): AdapterTestContext<H> {
  let collector: TestCollector | undefined;
  let server: Listening | undefined;
  const t: AdapterTestContext<H> = {
    get collector() {
      return collector!;
    },
    handle: undefined,
    options: () => ({ serverUrl: t.collector.url, flushIntervalMs: 60_000 }),
    listen: async (s) => {
      server = await listening(s);
      return server.url;
    },
    records: (n) => waitForRecords(t.handle!, t.collector, n),
  };
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await t.handle?.shutdown(1_000);
    await server?.close();
    server = undefined;
    t.handle = undefined;
    await collector?.close();
  });
  return t;
}

export function describeAdapterCases(adapter: AdapterUnderTest): void {
  describe(`shared ${adapter.framework} adapter cases`, () => {
    const t = useAdapterTest<AdapterHandle>();
    let stop: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await stop?.();
      stop = undefined;
    });

    async function start(options: CaseOptions = {}): Promise<StartedApp> {
      return use(await adapter.start({ ...t.options(), ...options }));
    }
    function use(started: StartedApp): StartedApp {
      t.handle = started.handle;
      stop = started.close;
      return started;
    }
    const records = t.records;

    it('records the fields and route templates, nested routers included', async () => {
      const { url: base } = await start();
      const res = await fetch(`${base}/users/42?expand=1`, {
        headers: { 'user-agent': 'test-agent/1.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
      });
      expect(res.status).toBe(200);
      await fetch(`${base}/api/v1/items/7?x=y`);
      await fetch(`${base}/api/v1/items`);
      const all = await records(3);
      expect(t.collector.batches[0]).toMatchObject({
        api_key: 'test-key',
        framework: adapter.framework,
        privacy_level: 0,
      });
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
      const itemsRoute = adapter.itemsListRoute ?? '/api/v1/items';
      expect(byPath.get('/api/v1/items')).toMatchObject({
        route: typeof itemsRoute === 'string' ? itemsRoute : expect.stringMatching(itemsRoute),
        status: 200,
      });
      const first = byPath.get('/users/42')!;
      expect(Math.abs(Date.parse(first.created_at) - Date.now())).toBeLessThan(5_000);
    });

    it('records the response time of a handler that sleeps 300 ms, within what the client waited', async () => {
      const { url: base } = await start();
      const t0 = performance.now();
      const res = await fetch(`${base}/slow`);
      await res.text();
      const elapsed = performance.now() - t0;
      const [r] = await records(1);
      expect(r).toMatchObject({ path: '/slow', route: '/slow', status: 200 });
      // A timer never fires early (1 ms of clock rounding aside); the server is done before the
      // client has read the body (+25 ms for rounding and the order of events).
      expect(r!.response_time).toEqual(between(298, elapsed + 25));
    });

    it('records thrown errors with the status the client got and the failing route, nested routers included', async () => {
      const { url: base } = await start();
      expect((await fetch(`${base}/boom`)).status).toBe(500);
      expect((await fetch(`${base}/api/v1/items/3/fail`)).status).toBe(adapter.nestedErrorStatus);
      const byPath = new Map((await records(2)).map((r) => [r.path, r]));
      expect(byPath.get('/boom')).toMatchObject({ status: 500, route: '/boom', method: 'GET' });
      expect(byPath.get('/api/v1/items/3/fail')).toMatchObject({
        status: adapter.nestedErrorStatus,
        route: '/api/v1/items/:itemId/fail',
      });
    });

    it('records unmatched routes as 404 without a route', async () => {
      const { url: base } = await start();
      expect((await fetch(`${base}/nope/1?q=2`)).status).toBe(404);
      const [r] = await records(1);
      expect(r).toMatchObject({ path: '/nope/1', status: 404, route: null, method: 'GET' });
    });

    it('times a streamed response until its last byte', async () => {
      const { url: base } = await start();
      const res = await fetch(`${base}/stream`);
      expect(await res.text()).toBe('abbbb');
      const [r] = await records(1);
      expect(r).toMatchObject({ path: '/stream', route: '/stream', status: 200 });
      // Four 50 ms pauses: a response timed at its headers would be well under this.
      expect(r!.response_time).toBeGreaterThanOrEqual(190);
    });

    it('uses the socket address when no proxy header is present', async () => {
      const { url: base } = await start();
      await fetch(`${base}/users/1`);
      const [r] = await records(1);
      expect(r!.ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    });

    it('deliberately skips requests whose client went away before the response finished', async () => {
      const { url: base, handle } = await start();
      const aborter = new AbortController();
      const aborted = fetch(`${base}/held`, { signal: aborter.signal }).catch((e: Error) => e);
      // The request is in its handler (so the adapter has seen it) when the client goes away…
      const inHandler = await held.next();
      aborter.abort();
      expect(await aborted).toBeInstanceOf(Error);
      // …and the server has seen the connection close before the handler answers.
      if (!inHandler.raw.socket.destroyed) await once(inHandler.raw.socket, 'close');
      inHandler.release();
      // Whatever the aborted request left is queued before this request's record, which needs
      // several more turns of the event loop: once it is in, nothing else may be.
      await fetch(`${base}/users/1`);
      await records(1);
      await handle.flush();
      expect(t.collector.requests().map((r) => r.path)).toEqual(['/users/1']);
    });

    it('does not record excluded paths', async () => {
      const { patterns, requests, recorded } = adapter.exclude;
      // The last request is recorded: once its record is in, those before it were decided.
      expect(requests.at(-1)).toBe(recorded.at(-1));
      const { url: base, handle } = await start({ exclude: patterns });
      for (const path of requests) await fetch(`${base}${path}`);
      await records(recorded.length);
      await handle.flush();
      expect(t.collector.requests().map((r) => r.path)).toEqual(recorded);
    });

    it('answers and records the request when every mapper throws', async () => {
      const errors: Array<{ code: string; field?: string }> = [];
      const boom = () => {
        throw new Error('mapper bug');
      };
      const { url: base } = await start({
        getPath: boom,
        getHostname: boom,
        getIPAddress: boom,
        getUserAgent: boom,
        getUserID: boom,
        onError: (e: { code: string; field?: string }) => errors.push(e),
      });
      const res = await fetch(`${base}/users/3?q=1`, { headers: { 'user-agent': 'ua' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: '3' });
      const [r] = await records(1);
      expect(r).toMatchObject({ path: '/users/3', route: '/users/:id', user_agent: 'ua', user_id: null });
      expect(r!.hostname).toBe(new URL(base).host);
      expect(errors.map((e) => [e.code, e.field]).sort()).toEqual([
        ['mapper', 'getHostname'],
        ['mapper', 'getIPAddress'],
        ['mapper', 'getPath'],
        ['mapper', 'getUserAgent'],
        ['mapper', 'getUserID'],
      ]);
    });

    it(`applies mappers typed with the ${adapter.framework} request`, async () => {
      const { url: base } = await start(adapter.typedMappers);
      await fetch(`${base}/users/8`, {
        headers: { 'x-host': 'api.example.com', 'x-client': '198.51.100.1', 'x-user-id': 'u-1' },
      });
      const [r] = await records(1);
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
      const { url: base } = await start({
        privacyLevel: 2,
        getIPAddress: () => {
          called++;
          return '192.0.2.1';
        },
      });
      await fetch(`${base}/users/1`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      const [r] = await records(1);
      expect(r!.ip_address).toBeNull();
      expect(t.collector.batches[0]!.privacy_level).toBe(2);
      expect(called).toBe(0);
    });

    it('delivers pending records on shutdown', async () => {
      const { url: base, handle } = await start();
      for (let i = 0; i < 5; i++) await fetch(`${base}/users/${i}`);
      // The last record is queued when the response has finished, which may be just after the client read it.
      await until(() => handle.stats().queued === 5, 'the fifth record to be queued');
      expect(t.collector.requests()).toHaveLength(0);
      expect(await handle.shutdown(2_000)).toBe(true);
      expect(t.collector.requests().map((r) => r.path)).toEqual([
        '/users/0',
        '/users/1',
        '/users/2',
        '/users/3',
        '/users/4',
      ]);
      expect(handle.stats()).toMatchObject({ queued: 0, sent: 5, dropped: 0 });
    });

    it('accepts a Config instance', async () => {
      const { url: base } = use(await adapter.startWithConfigInstance(t.collector.url));
      await fetch(`${base}/me`, { headers: { 'x-user-id': '77' } });
      // No explicit flush: the interval timer sends the batch.
      await t.collector.waitForRequests(1, 5_000);
      expect(t.collector.requests()[0]).toMatchObject({ path: '/me', route: adapter.meRoute, user_id: '77' });
      expect(t.collector.batches[0]!.api_key).toBe('config-key');
    });
  });
}

/**
 * One test sending through the real collector (`apilens serve`, built, in a child process) and
 * reading the rows back through the data API, every field checked (test-utils/end-to-end.ts).
 */
export function describeEndToEnd(adapter: AdapterUnderTest): void {
  describe(`${adapter.framework} end to end`, () => {
    it(
      'records reach the real collector (apilens serve) and read back through the data API',
      () =>
        checkEndToEnd({
          framework: adapter.framework,
          async start(apiKey, serverUrl) {
            const started = await adapter.start(
              { serverUrl, flushIntervalMs: 60_000, getUserID: adapter.typedMappers.getUserID },
              apiKey,
            );
            return { url: started.url, deliver: () => started.handle.shutdown(5_000), close: started.close };
          },
          requests: [
            { path: '/users/42', route: '/users/:id', status: 200 },
            { path: '/slow', route: '/slow', status: 200, sleepsMs: 300 },
            { path: '/api/v1/items/7', route: '/api/v1/items/:itemId', status: 200 },
            { path: '/boom', route: '/boom', status: 500 },
            { path: '/nope/1', route: null, status: 404 },
          ],
        }),
      60_000,
    );
  });
}
