import type { ApilensError } from '@apilens/core';
import { type INestApplication, Module } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import { checkEndToEnd } from '../../../test-utils/end-to-end.js';
import { between } from '../../../test-utils/helpers.js';
import { AnalyticsModule, AnalyticsService } from '../src/index.js';
import { type Platform, startApp } from './app.js';

let collector: TestCollector;
let app: INestApplication | undefined;

beforeEach(async () => {
  collector = await startCollector();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await collector.close();
});

const byPath = <T extends { path: string }>(rows: T[]) =>
  [...rows].sort((x, y) => x.path.localeCompare(y.path));

async function close(): Promise<void> {
  await app!.close();
  app = undefined;
}

describe.each<Platform>(['express', 'fastify'])('Nest on %s', (platform) => {
  it('records the status the client got, whoever answered, with route templates', async () => {
    ({ app } = await startApp(
      platform,
      AnalyticsModule.forRoot({
        apiKey: 'nest-key',
        // A long interval: only app.close() can deliver these records.
        config: { serverUrl: collector.url, flushIntervalMs: 60_000 },
      }),
      { prefix: 'api' },
    ).then(async (started) => {
      const base = started.base;
      const json = { 'content-type': 'application/json' };
      const headers = { 'user-agent': 'vitest-agent', 'x-forwarded-for': '203.0.113.9' };
      const expectStatus = async (path: string, status: number, init?: RequestInit) =>
        expect((await fetch(`${base}${path}`, init)).status, path).toBe(status);
      await expectStatus('/api/users/42?full=1', 200, { headers });
      await expectStatus('/api/users/admin', 403);
      await expectStatus('/api/users/teapot', 418);
      await expectStatus('/api/users/crash', 500);
      await expectStatus('/api/users/conflict', 409);
      await expectStatus('/api/users', 400, { method: 'POST', headers: json, body: '{}' });
      await expectStatus('/api/users', 201, { method: 'POST', headers: json, body: '{"name":"ada"}' });
      await expectStatus('/api/users/quiet', 200);
      await expectStatus('/api/users/quiet-guarded', 403);
      await expectStatus('/api/health', 200);
      await expectStatus('/api/health/deep', 403);
      await expectStatus('/api/plain', 200);
      await expectStatus('/api/nowhere/7', 404);
      return started;
    }));
    expect(collector.requests()).toHaveLength(0);

    await close();
    expect(collector.batches[0]).toMatchObject({ api_key: 'nest-key', framework: 'NestJS' });
    expect(byPath(collector.requests()).map((r) => [r.method, r.path, r.route, r.status])).toEqual([
      ['GET', '/api/nowhere/7', null, 404],
      ['GET', '/api/plain', '/api/plain', 200],
      ['POST', '/api/users', '/api/users', 400],
      ['POST', '/api/users', '/api/users', 201],
      ['GET', '/api/users/42', '/api/users/:id', 200],
      ['GET', '/api/users/admin', '/api/users/admin', 403],
      ['GET', '/api/users/conflict', '/api/users/conflict', 409],
      ['GET', '/api/users/crash', '/api/users/crash', 500],
      ['GET', '/api/users/teapot', '/api/users/teapot', 418],
    ]);
    const user = collector.requests().find((r) => r.path === '/api/users/42')!;
    expect(user).toMatchObject({ user_agent: 'vitest-agent', ip_address: '203.0.113.9' });
    expect(user.hostname).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('records the response time of a handler that sleeps 300 ms, within what the client waited', async () => {
    let base: string;
    ({ app, base } = await startApp(
      platform,
      AnalyticsModule.forRoot({ apiKey: 'k', config: { serverUrl: collector.url } }),
    ));
    const t0 = performance.now();
    const res = await fetch(`${base}/slow`);
    await res.text();
    const elapsed = performance.now() - t0;
    await close();
    expect(collector.requests()).toEqual([
      expect.objectContaining({
        path: '/slow',
        route: '/slow',
        status: 200,
        response_time: between(298, elapsed + 25),
      }),
    ]);
  });

  it(
    'records reach the real collector (apilens serve) and read back through the data API',
    () =>
      checkEndToEnd({
        framework: 'NestJS',
        async start(apiKey, serverUrl) {
          const started = await startApp(
            platform,
            AnalyticsModule.forRoot({
              apiKey,
              config: {
                serverUrl,
                flushIntervalMs: 60_000,
                getUserID: (req: { headers: Record<string, string | undefined> }) => req.headers['x-user-id'],
              },
            }),
          );
          app = started.app;
          return {
            url: started.base,
            deliver: () => started.app.get(AnalyticsService).shutdown(5_000),
            close: close,
          };
        },
        requests: [
          { path: '/users/42', route: '/users/:id', status: 200 },
          { path: '/slow', route: '/slow', status: 200, sleepsMs: 300 },
          { path: '/users/admin', route: '/users/admin', status: 403 },
          { path: '/users/crash', route: '/users/crash', status: 500 },
          { path: '/nowhere/7', route: null, status: 404 },
        ],
      }),
    60_000,
  );

  it('answers the request and still records it when mappers throw', async () => {
    const errors: ApilensError[] = [];
    let base: string;
    ({ app, base } = await startApp(
      platform,
      AnalyticsModule.forRoot({
        apiKey: 'k',
        config: {
          serverUrl: collector.url,
          getHostname: () => {
            throw new Error('hostname mapper bug');
          },
          getUserID: (req: { headers: Record<string, string> }) => req.headers['x-user'] ?? null,
          onError: (e) => errors.push(e),
        },
      }),
    ));
    const res = await fetch(`${base}/users/9`, { headers: { 'x-user': 'u-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '9' });
    await close();
    expect(collector.requests()).toMatchObject([{ path: '/users/9', route: '/users/:id', user_id: 'u-1' }]);
    expect(collector.requests()[0]!.hostname).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(errors.map((e) => [e.code, e.field])).toEqual([['mapper', 'getHostname']]);
  });

  it.each([
    ["routes: 'marked'", { routes: 'marked' }],
    ["routes: 'marked' from forRootAsync", { routes: 'marked', async: true }],
    ['the deprecated global: false', { global: false }],
  ] as const)('with %s records only controllers using AnalyticsInterceptor', async (_name, wiring) => {
    const { async, ...rest } = { async: false, ...wiring };
    const config = { serverUrl: collector.url };
    let base: string;
    ({ app, base } = await startApp(
      platform,
      async
        ? AnalyticsModule.forRootAsync({ ...rest, useFactory: () => ({ apiKey: 'k', config }) })
        : AnalyticsModule.forRoot({ apiKey: 'k', ...rest, config }),
    ));
    expect((await fetch(`${base}/tracked/5`)).status).toBe(200);
    expect((await fetch(`${base}/plain`)).status).toBe(200);
    expect((await fetch(`${base}/users/5`)).status).toBe(200);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    await close();
    expect(collector.requests().map((r) => [r.path, r.route])).toEqual([['/tracked/5', '/tracked/:id']]);
  });

  it.each([
    ["routes: 'all'", { routes: 'all' }],
    ['the deprecated global: true', { global: true }],
  ] as const)('with %s records every route', async (_name, wiring) => {
    let base: string;
    ({ app, base } = await startApp(
      platform,
      AnalyticsModule.forRoot({ apiKey: 'k', ...wiring, config: { serverUrl: collector.url } }),
    ));
    expect((await fetch(`${base}/tracked/5`)).status).toBe(200);
    expect((await fetch(`${base}/plain`)).status).toBe(200);
    await close();
    expect(collector.requests().map((r) => r.path)).toEqual(['/tracked/5', '/plain']);
  });

  it('takes its options from forRootAsync and exposes AnalyticsService', async () => {
    @Module({
      providers: [{ provide: 'SETTINGS', useValue: { key: 'async-key', url: collector.url } }],
      exports: ['SETTINGS'],
    })
    class SettingsModule {}

    let base: string;
    ({ app, base } = await startApp(
      platform,
      AnalyticsModule.forRootAsync({
        imports: [SettingsModule],
        inject: ['SETTINGS'],
        useFactory: async (s: { key: string; url: string }) => ({
          apiKey: s.key,
          config: { serverUrl: s.url, flushIntervalMs: 60_000 },
        }),
      }),
    ));
    expect((await fetch(`${base}/users/1`)).status).toBe(200);
    // Served by a controller that injects AnalyticsService: the first request is queued.
    const stats = await (await fetch(`${base}/users/stats`)).json();
    expect(stats).toMatchObject({ queued: 1, sent: 0 });
    await close();
    expect(collector.batches[0]!.api_key).toBe('async-key');
    expect(collector.requests().map((r) => r.route)).toEqual(['/users/:id', '/users/stats']);
  });

  it.each([
    [
      () => AnalyticsModule.forRoot({ apiKey: 'k', config: { privacyLevel: 7 as never } }),
      /@apilens\/nestjs: invalid config\.privacyLevel/,
    ],
    [
      () =>
        AnalyticsModule.forRootAsync({ useFactory: () => ({ apiKey: 'k', config: { maxBatchSize: -1 } }) }),
      /@apilens\/nestjs: invalid config\.maxBatchSize/,
    ],
    [
      () => AnalyticsModule.forRootAsync({ useFactory: () => ({ apiKey: 3 as never }) }),
      /@apilens\/nestjs: apiKey must be a string/,
    ],
  ])('fails app creation on invalid options with a TypeError (%#)', async (make, message) => {
    const error = await Promise.resolve()
      .then(() => startApp(platform, make()))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(message);
  });
});

describe('option checks at import time', () => {
  it('names misplaced and malformed options, with a TypeError', () => {
    expect(() => AnalyticsModule.forRoot({ apiKey: 42 as never })).toThrow(TypeError);
    expect(() => AnalyticsModule.forRoot({ routes: 'some' as never })).toThrow(TypeError);
    expect(() => AnalyticsModule.forRoot({ apiKey: 'k', serverUrl: 'http://x' } as never)).toThrow(
      /unknown option serverUrl.*go inside config/,
    );
    expect(() => AnalyticsModule.forRoot({ apiKey: 42 as never })).toThrow(/apiKey must be a string/);
    expect(() => AnalyticsModule.forRootAsync({} as never)).toThrow(/needs a useFactory function/);
    expect(() => AnalyticsModule.forRoot({ global: 'yes' as never })).toThrow(/global must be true or false/);
    expect(() => AnalyticsModule.forRoot({ routes: 'some' as never })).toThrow(
      /@apilens\/nestjs: routes must be 'all' or 'marked', got "some"/,
    );
    expect(() => AnalyticsModule.forRoot({ routes: 'all', global: false })).toThrow(
      /routes: 'all' and the deprecated global: false disagree/,
    );
    expect(() =>
      AnalyticsModule.forRootAsync({ routes: 'marked', global: true, useFactory: () => ({}) }),
    ).toThrow(/disagree/);
    // Agreeing is allowed (a config written during the migration).
    expect(() => AnalyticsModule.forRoot({ routes: 'marked', global: false })).not.toThrow();
  });
});

describe('misuse', () => {
  it('refuses a second AnalyticsModule in the same app', async () => {
    const { NestFactory } = await import('@nestjs/core');
    @Module({ imports: [AnalyticsModule.forRoot({ apiKey: 'a', isGlobal: false })] })
    class FeatureModule {}
    @Module({ imports: [AnalyticsModule.forRoot({ apiKey: 'b' }), FeatureModule] })
    class AppModule {}
    await expect(NestFactory.create(AppModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /imported more than once/,
    );
  });
});
