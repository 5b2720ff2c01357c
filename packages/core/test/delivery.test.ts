import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import { Analytics, type ApilensError, type Options } from '../src/index.js';
import { errorsInto, rec, sleep, until } from './helpers.js';

let collector: TestCollector;
const clients: Analytics[] = [];

function client(options: Options = {}, key = 'test-key'): Analytics {
  const a = new Analytics(key, 'Express', { serverUrl: collector.url, flushIntervalMs: 60_000, ...options });
  clients.push(a);
  return a;
}

beforeEach(async () => {
  collector = await startCollector();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown(200)));
  await collector.close();
});

describe('wire format', () => {
  it('sends every field in the upstream shape, gzip-compressed, with an SDK user agent', async () => {
    const a = client();
    const before = Date.now();
    a.record(rec({ ipAddress: '203.0.113.9, 10.0.0.1', method: 'get' }));
    await a.flush();
    const [batch] = collector.batches;
    expect(batch?.headers['content-encoding']).toBe('gzip');
    expect(batch?.headers['content-type']).toBe('application/json');
    expect(batch?.headers['user-agent']).toMatch(/^apilens-node\/\S+ \(Express\)$/);
    expect(batch).toMatchObject({ api_key: 'test-key', framework: 'Express', privacy_level: 0 });
    const r = batch!.requests[0]!;
    expect(r).toEqual({
      hostname: 'api.example.com',
      ip_address: '203.0.113.9',
      path: '/users/42',
      user_agent: 'Mozilla/5.0 test',
      method: 'GET',
      status: 200,
      response_time: 12,
      user_id: 'u-1',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      route: '/users/:id',
    });
    const created = Date.parse(r.created_at);
    expect(created).toBeGreaterThanOrEqual(before - 13);
    expect(created).toBeLessThanOrEqual(Date.now());
  });

  it("compression: 'none' sends plain JSON", async () => {
    const a = client({ compression: 'none' });
    a.record(rec());
    await a.flush();
    expect(collector.batches[0]?.headers['content-encoding']).toBeUndefined();
    expect(collector.requests()).toHaveLength(1);
  });

  it('keeps explicit createdAt, numeric user ids and null fields', async () => {
    const a = client();
    a.record(
      rec({
        createdAt: new Date('2026-01-02T03:04:05.678Z'),
        userId: 7,
        route: null,
        hostname: null,
        userAgent: '',
      }),
    );
    a.record(rec({ createdAt: Date.UTC(2026, 0, 1), userId: undefined, path: '' }));
    await a.flush();
    const [r1, r2] = collector.requests();
    expect(r1).toMatchObject({
      created_at: '2026-01-02T03:04:05.678Z',
      user_id: '7',
      route: null,
      hostname: null,
      user_agent: null,
    });
    expect(r2).toMatchObject({ created_at: '2026-01-01T00:00:00.000Z', user_id: null, path: '/' });
  });

  it('works with the fetch transport too', async () => {
    const a = client({ transport: 'fetch' });
    a.record(rec());
    await a.flush();
    expect(collector.requests()).toHaveLength(1);
    expect(collector.batches[0]?.headers['content-encoding']).toBe('gzip');
  });
});

describe('format negotiation', () => {
  it('an apilens collector gets the compact format from the first batch on', async () => {
    const a = client({ maxBatchSize: 2 });
    for (let i = 0; i < 5; i++) a.record(rec({ path: `/n/${i}` }));
    await a.flush();
    expect(collector.batches.map((b) => b.format)).toEqual(['columns', 'columns', 'columns']);
    expect(collector.attempts).toBe(3);
    expect(collector.requests().map((r) => r.path)).toEqual(['/n/0', '/n/1', '/n/2', '/n/3', '/n/4']);
  });

  it('a server that speaks only the upstream format gets the same batch as rows, then rows only; nothing lost', async () => {
    const upstream = await startCollector(0, { upstreamOnly: true });
    const errors: ApilensError[] = [];
    const a = new Analytics('test-key', 'Express', {
      serverUrl: upstream.url,
      flushIntervalMs: 60_000,
      maxBatchSize: 3,
      onError: errorsInto(errors),
    });
    clients.push(a);
    try {
      for (let i = 0; i < 7; i++) a.record(rec({ path: `/u/${i}`, userId: i }));
      expect(await a.flush()).toBe(true);
      expect(upstream.batches.map((b) => b.format)).toEqual(['rows', 'rows', 'rows']);
      // One 404 for the first compact attempt, then every batch straight as rows.
      expect(upstream.attempts).toBe(4);
      expect(upstream.requests().map((r) => [r.path, r.user_id])).toEqual(
        Array.from({ length: 7 }, (_, i) => [`/u/${i}`, String(i)]),
      );
      expect(a.stats()).toMatchObject({ sent: 7, dropped: 0, failedBatches: 0 });
      expect(errors).toEqual([]);
      // Another client of the same collector in this process remembers: no second 404.
      const b = new Analytics('test-key', 'Koa', { serverUrl: upstream.url, flushIntervalMs: 60_000 });
      clients.push(b);
      b.record(rec());
      await b.flush();
      expect(upstream.attempts).toBe(5);
    } finally {
      await upstream.close();
    }
  });

  it('rows go in POSTs of at most 1 000 (upstream stores at most 2 000 of a POST); columns in one', async () => {
    const upstream = await startCollector(0, { upstreamOnly: true });
    try {
      for (const c of [upstream, collector]) {
        const a = new Analytics('test-key', 'Express', {
          serverUrl: c.url,
          flushIntervalMs: 60_000,
          maxBatchSize: 2_500,
        });
        clients.push(a);
        for (let i = 0; i < 2_500; i++) a.record(rec({ path: `/r/${i}` }));
        expect(await a.flush()).toBe(true);
        expect(c.requests().map((r) => r.path)).toEqual(Array.from({ length: 2_500 }, (_, i) => `/r/${i}`));
      }
      expect(upstream.batches.map((b) => b.requests.length)).toEqual([1_000, 1_000, 500]);
      expect(collector.batches.map((b) => [b.format, b.requests.length])).toEqual([['columns', 2_500]]);
    } finally {
      await upstream.close();
    }
  });

  it('a 2xx to the compact format that is not an apilens answer (a catch-all) is sent again as rows', async () => {
    collector.script({ status: 200, body: 'OK' });
    const a = client();
    a.record(rec());
    expect(await a.flush()).toBe(true);
    expect(collector.attempts).toBe(2);
    expect(collector.batches.map((b) => b.format)).toEqual(['rows']);
    expect(a.stats()).toMatchObject({ sent: 1, dropped: 0 });
  });

  it('415 (a format version the collector does not read) falls back to rows; a 400 does not', async () => {
    collector.script({ status: 415 });
    const a = client();
    a.record(rec());
    expect(await a.flush()).toBe(true);
    expect(collector.batches.map((b) => b.format)).toEqual(['rows']);

    const other = await startCollector();
    try {
      other.script({
        status: 400,
        body: JSON.stringify({ error: 'columns.path[0] is 9, beyond the 3 strings' }),
      });
      const errors: ApilensError[] = [];
      const b = new Analytics('test-key', 'Express', {
        serverUrl: other.url,
        flushIntervalMs: 60_000,
        onError: errorsInto(errors),
      });
      clients.push(b);
      b.record(rec());
      expect(await b.flush()).toBe(false);
      expect(other.attempts).toBe(1);
      expect(errors[0]?.message).toContain('beyond the 3 strings');
    } finally {
      await other.close();
    }
  });
});

describe('privacy levels', () => {
  const accessors = (calls: string[]) => ({
    path: (req: { url: string }) => req.url,
    hostname: () => 'h.example',
    ipAddress: () => {
      calls.push('default-ip');
      return '198.51.100.7';
    },
    userAgent: () => 'UA',
  });

  it.each([0, 1] as const)('level %i sends the IP address', async (privacyLevel) => {
    const calls: string[] = [];
    const a = client({ privacyLevel });
    a.createRecorder(accessors(calls))({ url: '/a' }, 'GET', 200, '/a', 1);
    await a.flush();
    expect(collector.batches[0]?.privacy_level).toBe(privacyLevel);
    expect(collector.requests()[0]?.ip_address).toBe('198.51.100.7');
  });

  it('level 2 never reads the IP: neither the default nor getIPAddress is called', async () => {
    const calls: string[] = [];
    const a = client({
      privacyLevel: 2,
      getIPAddress: () => {
        calls.push('mapper');
        return '1.2.3.4';
      },
    });
    a.createRecorder(accessors(calls))({ url: '/a' }, 'GET', 200, '/a', 1);
    a.record(rec({ ipAddress: '9.9.9.9' }));
    await a.flush();
    expect(calls).toEqual([]);
    expect(collector.batches[0]?.privacy_level).toBe(2);
    expect(collector.requests().map((r) => r.ip_address)).toEqual([null, null]);
  });
});

describe('mappers', () => {
  type Req = { url: string; headers: Record<string, string> };
  const defaults = {
    path: (req: Req) => req.url,
    hostname: (req: Req) => req.headers.host,
    ipAddress: () => '192.0.2.1',
    userAgent: (req: Req) => req.headers['user-agent'],
  };
  const req: Req = { url: '/orders/9?x=1', headers: { host: 'shop.example', 'user-agent': 'curl/8' } };

  it('applies every user mapper', async () => {
    const a = client({
      getPath: (r: Req) => r.url.toUpperCase(),
      getHostname: () => 'mapped.example',
      getIPAddress: () => '203.0.113.1',
      getUserAgent: () => 'MappedUA',
      getUserID: () => 123,
    });
    a.createRecorder<Req>(defaults)(req, 'POST', 201, '/orders/:id', 5);
    await a.flush();
    expect(collector.requests()[0]).toMatchObject({
      path: '/ORDERS/9',
      hostname: 'mapped.example',
      ip_address: '203.0.113.1',
      user_agent: 'MappedUA',
      user_id: '123',
      method: 'POST',
      status: 201,
      route: '/orders/:id',
    });
  });

  it('a throwing or wrongly typed mapper falls back to the default, is reported once a minute, and the request is recorded', async () => {
    const errors: ApilensError[] = [];
    const a = client({
      getPath: () => {
        throw new Error('boom');
      },
      getHostname: () => 42 as never,
      getUserID: () => ({ id: 1 }) as never,
      onError: errorsInto(errors),
    });
    const recorder = a.createRecorder<Req>(defaults);
    for (let i = 0; i < 50; i++) recorder(req, 'GET', 200, '/orders/:id', 1);
    await a.flush();
    const got = collector.requests();
    expect(got).toHaveLength(50);
    expect(got[0]).toMatchObject({ path: '/orders/9', hostname: 'shop.example', user_id: null });
    const byField = errors.map((e) => `${e.code}:${e.field}`).sort();
    expect(byField).toEqual(['mapper:getHostname', 'mapper:getPath', 'mapper:getUserID']);
    expect(errors.find((e) => e.field === 'getPath')?.message).toMatch(/config\.getPath threw: boom/);
  });

  it('a throwing onError handler is isolated', async () => {
    const a = client({
      getPath: () => {
        throw new Error('mapper');
      },
      onError: () => {
        throw new Error('handler');
      },
    });
    const warn = console.warn;
    const warned: unknown[] = [];
    console.warn = (m: unknown) => warned.push(m);
    try {
      expect(() => a.createRecorder<Req>(defaults)(req, 'GET', 200, null, 1)).not.toThrow();
    } finally {
      console.warn = warn;
    }
    await a.flush();
    expect(collector.requests()).toHaveLength(1);
    expect(String(warned[0])).toMatch(/getPath threw/);
  });
});

describe('exclude', () => {
  it('skips exact paths, route templates, patterns and predicate matches', async () => {
    const errors: ApilensError[] = [];
    const a = client({ exclude: ['/health', '/internal/:job', /^\/static\//] });
    const b = client({
      exclude: (path, req: { skip?: boolean; boom?: boolean }) => {
        if (req?.boom) throw new Error('bad predicate');
        return path === '/p' || req?.skip === true;
      },
      onError: errorsInto(errors),
    });
    for (const [path, route] of [
      ['/health?probe=1', '/health'],
      ['/internal/7', '/internal/:job'],
      ['/static/app.js', null],
      ['/kept', '/kept'],
    ] as const) {
      a.record(rec({ path, route }));
    }
    const rb = b.createRecorder<{ url: string; skip?: boolean; boom?: boolean }>({
      path: (r) => r.url,
      hostname: () => null,
      ipAddress: () => null,
      userAgent: () => null,
    });
    rb({ url: '/p?q' }, 'GET', 200, null, 1);
    rb({ url: '/x', skip: true }, 'GET', 200, null, 1);
    rb({ url: '/y', boom: true }, 'GET', 200, null, 1);
    await a.flush();
    await b.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(['/kept', '/y']);
    expect(errors.map((e) => e.code)).toEqual(['exclude']);
  });
});

describe('batching', () => {
  it('flushes on the interval', async () => {
    const a = client({ flushIntervalMs: 50 });
    a.record(rec());
    await collector.waitForRequests(1, 2000);
    await until(() => a.stats().sent === 1, 2000, 'the answer to be processed');
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const a = client({ maxBatchSize: 5 });
    for (let i = 0; i < 12; i++) a.record(rec({ path: `/n/${i}` }));
    await collector.waitForRequests(10, 2000);
    expect(collector.batches.map((b) => b.requests.length)).toEqual([5, 5]);
    expect(a.stats().queued).toBe(2);
    await a.flush();
    expect(collector.requests().map((r) => r.path)).toEqual(Array.from({ length: 12 }, (_, i) => `/n/${i}`));
  });

  it('keeps one batch in flight at a time and never loses order', async () => {
    collector.always({ delayMs: 30 });
    const a = client({ maxBatchSize: 10, maxQueueSize: 1000 });
    for (let i = 0; i < 100; i++) a.record(rec({ path: `/o/${i}` }));
    await a.flush();
    expect(collector.maxConcurrent).toBe(1);
    expect(collector.requests().map((r) => r.path)).toEqual(Array.from({ length: 100 }, (_, i) => `/o/${i}`));
    expect(a.stats()).toMatchObject({ sent: 100, queued: 0, dropped: 0 });
  });

  it('record() is cheap: no serialisation on the calling tick', () => {
    const a = client({ maxBatchSize: 2 });
    a.record(rec());
    a.record(rec());
    // The full batch is only sent on a later macrotask.
    expect(a.stats()).toMatchObject({ queued: 2, inFlight: 0 });
  });
});

describe('faults', () => {
  it('collector down, then back: delivery resumes, memory stays bounded, drops are counted', async () => {
    const errors: ApilensError[] = [];
    await collector.stop();
    const a = client({
      maxBatchSize: 10,
      maxQueueSize: 20,
      flushIntervalMs: 20,
      maxRetries: 1,
      onError: errorsInto(errors),
    });
    let maxQueued = 0;
    for (let i = 0; i < 60; i++) {
      a.record(rec({ path: `/d/${i}` }));
      maxQueued = Math.max(maxQueued, a.stats().queued);
      if (i % 10 === 0) await sleep(5);
    }
    expect(maxQueued).toBeLessThanOrEqual(20);
    await until(() => a.stats().failedBatches >= 1, 5000, 'a failed batch');
    await collector.start();
    await a.flush();
    await until(() => a.stats().queued === 0 && a.stats().inFlight === 0, 5000, 'an empty queue');
    const s = a.stats();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.sent + s.dropped).toBe(60);
    expect(collector.requests()).toHaveLength(s.sent);
    // The newest records survive; drops are of the oldest.
    expect(collector.requests().at(-1)?.path).toBe('/d/59');
    expect(errors.some((e) => e.code === 'network')).toBe(true);
    expect(errors.some((e) => e.code === 'dropped')).toBe(true);
  });

  it('a 500 is retried, then the batch is delivered', async () => {
    collector.script({ status: 500 }, { status: 503 });
    const a = client();
    a.record(rec());
    await a.flush();
    expect(collector.attempts).toBe(3);
    expect(a.stats()).toMatchObject({ sent: 1, retries: 2, failedBatches: 0, dropped: 0 });
  });

  it('every attempt of a POST carries one batch id, so a collector can tell a retry; the next POST another', async () => {
    collector.script({ status: 500 }, { reset: true });
    const a = client();
    a.record(rec());
    await a.flush();
    a.record(rec());
    await a.flush();
    expect(collector.attempts).toBe(4);
    const [first, second, third, fourth] = collector.batchIds;
    expect(first).toMatch(/^[\w-]{16,100}$/);
    expect([second, third]).toEqual([first, first]);
    expect(fourth).toMatch(/^[\w-]{16,100}$/);
    expect(fourth).not.toBe(first);
  });

  it('honours Retry-After on 429', async () => {
    collector.script({ status: 429, headers: { 'retry-after': '1' } });
    const a = client();
    a.record(rec());
    const t0 = Date.now();
    await a.flush();
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
    expect(a.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('a 400 is not retried and is reported once with the server message', async () => {
    const errors: ApilensError[] = [];
    collector.script({ status: 400, body: JSON.stringify({ error: 'requests must not be empty' }) });
    const a = client({ onError: errorsInto(errors) });
    a.record(rec());
    await a.flush();
    expect(collector.attempts).toBe(1);
    expect(a.stats()).toMatchObject({ sent: 0, retries: 0, failedBatches: 1, dropped: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'http', status: 400 });
    expect(errors[0]?.message).toMatch(/answered 400: requests must not be empty; 1 records dropped/);
  });

  it('a batch that keeps failing is dropped after maxRetries and counted', async () => {
    collector.always({ status: 502 });
    const a = client({ maxRetries: 2 });
    a.record(rec());
    a.record(rec());
    await a.flush();
    expect(collector.attempts).toBe(3);
    expect(a.stats()).toMatchObject({ sent: 0, retries: 2, failedBatches: 1, dropped: 2 });
  });

  it('a 413 splits the batch instead of losing it', async () => {
    collector.script({ status: 413 });
    const a = client();
    for (let i = 0; i < 9; i++) a.record(rec({ path: `/s/${i}` }));
    await a.flush();
    expect(collector.batches.map((b) => b.requests.length)).toEqual([5, 4]);
    expect(a.stats()).toMatchObject({ sent: 9, dropped: 0 });
  });

  it('counts records the collector rejects as invalid', async () => {
    collector.script({
      status: 200,
      body: JSON.stringify({ accepted: 1, rejected: [{ index: 1, error: 'status out of range' }] }),
    });
    const errors: ApilensError[] = [];
    const a = client({ onError: errorsInto(errors) });
    a.record(rec());
    a.record(rec({ status: 999 }));
    await a.flush();
    expect(a.stats()).toMatchObject({ sent: 1, rejected: 1 });
    expect(errors[0]?.message).toMatch(
      /rejected 1 of 2 records as invalid \(first: #1: status out of range\)/,
    );
  });

  it('a slow collector times out; attempts never pile up', async () => {
    collector.script({ hang: true }, { hang: true });
    const a = client({ timeoutMs: 200, maxRetries: 3 });
    a.record(rec());
    await a.flush();
    expect(collector.maxConcurrent).toBe(1);
    expect(a.stats()).toMatchObject({ sent: 1, retries: 2 });
  });

  it('a 408 is retried', async () => {
    collector.script({ status: 408 });
    const a = client();
    a.record(rec());
    await a.flush();
    expect(a.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('without onError, says what happened in one console warning, naming the package', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      collector.always({ status: 401, body: JSON.stringify({ error: 'unknown API key' }) });
      const refused = new Analytics(
        'bad-key',
        { framework: 'Express', packageName: '@apilens/express' },
        {
          serverUrl: collector.url,
          flushIntervalMs: 60_000,
        },
      );
      clients.push(refused);
      for (let i = 0; i < 3; i++) refused.record(rec());
      await refused.flush();
      await collector.stop();
      const down = new Analytics(
        'k',
        { framework: 'Express', packageName: '@apilens/express' },
        {
          serverUrl: collector.url,
          flushIntervalMs: 60_000,
          maxRetries: 1,
        },
      );
      clients.push(down);
      down.record(rec());
      await down.flush();
      // An apilens collector (the stand-in speaks the compact format) is sent columns.
      const endpoint = `${collector.url}/api/log-columns`;
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        `[@apilens/express] collector at ${endpoint} answered 401: unknown API key; 3 records dropped`,
        expect.stringMatching(
          new RegExp(
            `^\\[@apilens/express\\] could not reach the collector at ${endpoint.replaceAll('.', '\\.')}: .*ECONNREFUSED.*; 1 records dropped after 2 attempts$`,
          ),
        ),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('a reset connection is retried', async () => {
    collector.script({ reset: true });
    const a = client();
    a.record(rec());
    await a.flush();
    expect(a.stats()).toMatchObject({ sent: 1, retries: 1 });
  });
});

describe('shutdown', () => {
  it('delivers pending records', async () => {
    const a = client();
    for (let i = 0; i < 25; i++) a.record(rec());
    await a.shutdown();
    expect(collector.requests()).toHaveLength(25);
    expect(a.stats()).toMatchObject({ sent: 25, queued: 0 });
  });

  it('returns within its timeout when the collector hangs, and counts what it could not deliver', async () => {
    collector.always({ hang: true });
    const a = client({ maxBatchSize: 10 });
    for (let i = 0; i < 25; i++) a.record(rec());
    const t0 = Date.now();
    await a.shutdown(300);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect(a.stats()).toMatchObject({ sent: 0, dropped: 25, queued: 0, inFlight: 0 });
  });

  it('is idempotent and records after it are counted as dropped', async () => {
    const a = client();
    a.record(rec());
    const p1 = a.shutdown();
    const p2 = a.shutdown();
    expect(p1).toBe(p2);
    await p1;
    a.record(rec());
    await a.flush();
    expect(a.stats()).toMatchObject({ sent: 1, dropped: 1 });
  });
});

describe('flush and shutdown results', () => {
  it('flush resolves true once everything queued was accepted, false when records were lost', async () => {
    const a = client({ onError: () => {} });
    expect(await a.flush()).toBe(true); // nothing queued
    a.record(rec());
    a.record(rec());
    expect(await a.flush()).toBe(true);
    collector.script({ status: 400 });
    a.record(rec());
    expect(await a.flush()).toBe(false);
    collector.script({
      status: 200,
      body: JSON.stringify({ accepted: 0, rejected: [{ index: 0, error: 'invalid' }] }),
    });
    a.record(rec());
    expect(await a.flush()).toBe(false);
    a.record(rec());
    expect(await a.flush()).toBe(true);
    expect(a.stats()).toMatchObject({ sent: 3, rejected: 1, dropped: 1 });
  });

  it('flush(timeoutMs) answers false at its timeout and lets delivery go on', async () => {
    collector.script({ delayMs: 600 });
    const a = client();
    a.record(rec({ path: '/late' }));
    const t0 = Date.now();
    expect(await a.flush(100)).toBe(false);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(500);
    // Not given up on: the slow answer still arrives, and the next flush waits for it.
    expect(await a.flush(5_000)).toBe(true);
    expect(collector.requests().map((r) => r.path)).toEqual(['/late']);
    expect(a.stats()).toMatchObject({ sent: 1, dropped: 0, retries: 0 });
  });

  it('shutdown resolves true when everything was delivered, false when its timeout dropped records', async () => {
    const a = client();
    for (let i = 0; i < 3; i++) a.record(rec());
    expect(await a.shutdown()).toBe(true);
    expect(await a.shutdown()).toBe(true); // idempotent: the same answer

    collector.always({ hang: true });
    const b = client({ onError: () => {} });
    b.record(rec());
    expect(await b.shutdown(200)).toBe(false);
    expect(b.stats()).toMatchObject({ sent: 0, dropped: 1 });
  });
});
