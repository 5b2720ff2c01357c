import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbStore } from '../src/index.js';
import {
  call,
  freshStore,
  generateKey,
  getData,
  ingest,
  STORES,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';
import { tempDir } from './helpers.js';

/** Raw HTTP, for bodies fetch will not send (lying Content-Length, truncated streams). */
function raw(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/log-request`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('limits and errors', () => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  let apiKey: string;
  beforeAll(async () => {
    const s = await freshStore('DuckDB');
    cleanup = s.cleanup;
    server = await startServer(s.store, { maxBatchRows: 10, maxBodyBytes: 64 * 1024, rateLimitPerMinute: 0 });
    apiKey = (await generateKey(server.url)).api_key;
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('413 naming the limit when a batch has too many rows; nothing stored', async () => {
    const r = await ingest(server.url, {
      api_key: apiKey,
      requests: Array.from({ length: 11 }, () => wireRow()),
    });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/11 rows, more than the limit of 10 rows per batch/);
    expect((await getData(server.url, apiKey)).json).toEqual([]);
  });

  it('413 for a body over the size limit, plain or gzip (a gzip bomb stops at the limit)', async () => {
    const big = { api_key: apiKey, requests: [wireRow({ path: 'x'.repeat(100_000) })] };
    const plain = await ingest(server.url, big);
    expect(plain.status).toBe(413);
    expect(plain.json.error).toMatch(/65536 bytes/);
    // Compresses to ~100 bytes, inflates past the limit.
    const gz = await ingest(server.url, big, { gzip: true });
    expect(gz.status).toBe(413);
    expect(gz.json.error).toMatch(/after decompression/);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const b = await ingest(server.url, bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(b.status).toBe(413);
  });

  it('400 for bad gzip, bad JSON, an empty body or empty requests; 415 for an unknown encoding', async () => {
    const badGzip = await ingest(server.url, Buffer.from('definitely not gzip'), {
      headers: { 'content-encoding': 'gzip' },
    });
    expect(badGzip.status).toBe(400);
    expect(badGzip.json.error).toMatch(/not valid gzip/);
    const truncated = gzipSync(JSON.stringify({ api_key: apiKey, requests: [wireRow()] })).subarray(0, 20);
    expect((await ingest(server.url, truncated, { headers: { 'content-encoding': 'gzip' } })).status).toBe(
      400,
    );
    const badJson = await ingest(server.url, '{"api_key": ');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatch(/not valid JSON/);
    const empty = await ingest(server.url, '');
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatch(/body is empty/);
    const none = await ingest(server.url, { api_key: apiKey, requests: [] });
    expect(none.status).toBe(400);
    expect(none.json.error).toMatch(/"requests" is empty/);
    expect((await ingest(server.url, { api_key: apiKey })).status).toBe(400);
    const br = await ingest(server.url, 'x', { headers: { 'content-encoding': 'br' } });
    expect(br.status).toBe(415);
    expect(br.json.error).toMatch(/Content-Encoding "br"/);
  });

  it('401 for a missing or unknown key, before anything is stored', async () => {
    const missing = await ingest(server.url, { requests: [wireRow()] });
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatch(/missing api_key/);
    const unknown = await ingest(server.url, {
      api_key: 'b1946ac9-2b4a-4f3c-9c1e-000000000000',
      requests: [wireRow()],
    });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error).toMatch(/unknown API key/);
    // Upstream clients sometimes send the key with quotes around it.
    expect((await ingest(server.url, { api_key: ` "${apiKey}" `, requests: [wireRow()] })).status).toBe(200);
  });

  it('400 for envelope fields of the wrong type, naming the field', async () => {
    const r = await ingest(server.url, { api_key: apiKey, requests: { 0: wireRow() } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/"requests"/);
    const p = await ingest(server.url, { api_key: apiKey, privacy_level: 'high', requests: [wireRow()] });
    expect(p.status).toBe(400);
    expect(p.json.error).toMatch(/privacy_level/);
    const k = await ingest(server.url, { api_key: 42, requests: [wireRow()] });
    expect(k.status).toBe(400);
    expect(k.json.error).toMatch(/api_key/);
  });

  it('400 when Content-Length lies; 404 JSON for unknown endpoints', async () => {
    const stored = (await getData(server.url, apiKey)).json.length;
    const body = Buffer.from(JSON.stringify({ api_key: apiKey, requests: [wireRow()] }));
    const r = await raw(server.url, body, {
      'content-type': 'application/json',
      'content-length': String(body.length - 5),
    });
    // The bytes after the announced length are not a request: answered in the JSON error shape,
    // and the cut batch before them is not stored.
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      error: expect.stringMatching(/^malformed HTTP request \(HPE_\w+\); .*Content-Length matches the body$/),
    });
    expect((await getData(server.url, apiKey)).json).toHaveLength(stored);
    const nf = await call(server.url, 'GET', '/api/nothing');
    expect(nf.status).toBe(404);
    expect(nf.json.error).toMatch(/no endpoint GET \/api\/nothing/);
  });
});

describe('rate limits', () => {
  it('429 with Retry-After when a key exceeds its per-minute rate; other keys are unaffected', async () => {
    const s = await freshStore('DuckDB');
    const server = await startServer(s.store, { rateLimitPerMinute: 3, generatePerHour: 3 });
    try {
      const a = (await generateKey(server.url)).api_key;
      const b = (await generateKey(server.url)).api_key;
      for (let i = 0; i < 3; i++)
        expect((await ingest(server.url, { api_key: a, requests: [wireRow()] })).status).toBe(200);
      const limited = await ingest(server.url, { api_key: a, requests: [wireRow()] });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.json.error).toMatch(/rate limit of 3 ingest requests per minute/);
      expect((await ingest(server.url, { api_key: b, requests: [wireRow()] })).status).toBe(200);
      expect((await getData(server.url, a)).json).toHaveLength(3);
      // Key generation is limited per client address.
      expect((await call(server.url, 'POST', '/api/generate')).status).toBe(200);
      const g = await call(server.url, 'POST', '/api/generate');
      expect(g.status).toBe(429);
      expect(g.headers.get('retry-after')).toBeTruthy();
    } finally {
      await server.close();
      await s.cleanup();
    }
  });

  it('generatePerHour 0 turns key generation over HTTP off', async () => {
    const s = await freshStore('DuckDB');
    const server = await startServer(s.store, { generatePerHour: 0 });
    try {
      const r = await call(server.url, 'POST', '/api/generate');
      expect(r.status).toBe(403);
      expect(r.json.error).toMatch(/apilens keys create/);
    } finally {
      await server.close();
      await s.cleanup();
    }
  });
});

describe('health', () => {
  it('503 when the store does not answer', async () => {
    const tmp = tempDir();
    const store = openDuckDbStore(`${tmp.dir}/h.duckdb`);
    const server = await startServer(store);
    try {
      await store.close();
      const h = await call(server.url, 'GET', '/api/health');
      expect(h.status).toBe(503);
      expect(h.json).toMatchObject({ status: 'unavailable', store: 'duckdb' });
      const i = await ingest(server.url, { api_key: 'k', requests: [wireRow()] });
      expect(i.status).toBe(503);
      expect(i.json.error).toMatch(/could not reach its database/);
    } finally {
      await server.close();
      tmp.remove();
    }
  });
});

/** Deterministic pseudo-random generator, so a failing case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.each(STORES)('fuzzed ingest (%s)', (storeName) => {
  it('answers only 2xx/4xx to malformed, mistyped, huge and nested payloads, and stays up', async () => {
    const s = await freshStore(storeName);
    const server = await startServer(s.store, { rateLimitPerMinute: 0, maxBodyBytes: 2 * 1024 * 1024 });
    const apiKey = (await generateKey(server.url)).api_key;
    const rand = rng(storeName === 'DuckDB' ? 1 : 2);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const weird: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      Number.MAX_SAFE_INTEGER,
      '',
      '\u0000',
      '\ud800',
      '😀'.repeat(300),
      'x'.repeat(100_000),
      [],
      {},
      [1, 2],
      { a: { b: { c: 1 } } },
      '2026-11-27T10:00:00Z',
      "'; DROP TABLE requests; --",
      '<script>alert(1)</script>',
      'GET',
      200,
      '../../etc/passwd',
    ];
    const fields = [
      'hostname',
      'ip_address',
      'path',
      'user_agent',
      'method',
      'status',
      'response_time',
      'user_id',
      'created_at',
      'route',
    ];
    let depth = '';
    for (let i = 0; i < 5000; i++) depth = `{"a":${depth || '1'}}`;
    const bodies: { body: string | Buffer; headers?: Record<string, string> }[] = [
      { body: depth },
      { body: `{"api_key":"${apiKey}","requests":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}` },
      { body: `{"api_key":"${apiKey}","requests":${JSON.stringify([depth])}}` },
      { body: '[]' },
      { body: 'null' },
      { body: '"string"' },
      { body: '12' },
      { body: '{"__proto__":{"polluted":true},"api_key":"x","requests":[{}]}' },
      { body: `{"api_key":"${apiKey}","requests":[{"constructor":{"prototype":{"x":1}}}]}` },
      { body: randomBytes(2000) },
      { body: randomBytes(2000), headers: { 'content-encoding': 'gzip' } },
      { body: gzipSync(randomBytes(1000)), headers: { 'content-encoding': 'gzip' } },
      { body: gzipSync('{"api_key":'), headers: { 'content-encoding': 'gzip' } },
      { body: 'x', headers: { 'content-encoding': 'gzip, gzip' } },
      { body: '{"api_key":"a"}', headers: { 'content-type': 'text/plain' } },
      { body: '{"api_key":"a"}', headers: { 'content-type': 'multipart/form-data; boundary=x' } },
    ];
    for (let i = 0; i < 120; i++) {
      const rows = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => {
        const r: Record<string, unknown> = { ...wireRow() };
        for (let m = 0; m < 1 + Math.floor(rand() * 3); m++) {
          const f = pick(fields);
          if (rand() < 0.2) delete r[f];
          else r[f] = pick(weird);
        }
        return rand() < 0.05 ? pick(weird) : r;
      });
      const env: Record<string, unknown> = {
        api_key: apiKey,
        framework: pick(['Express', 'x'.repeat(1000), null, 3]),
        requests: rows,
      };
      if (rand() < 0.1) env.privacy_level = pick(weird);
      if (rand() < 0.05) env.api_key = pick(weird);
      bodies.push({ body: JSON.stringify(env) });
    }
    let accepted = 0;
    for (const { body, headers } of bodies) {
      const r = await ingest(server.url, body, { headers });
      expect(r.status, `${r.status} ${r.text} for ${String(body).slice(0, 200)}`).toBeLessThan(500);
      expect(r.json, r.text).toBeTypeOf('object');
      if (r.status === 200) accepted += r.json.accepted;
      else expect(r.json.error).toBeTypeOf('string');
    }
    expect(accepted).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const h = await call(server.url, 'GET', '/api/health');
    expect(h.status).toBe(200);
    const stored = (await getData(server.url, apiKey, 'format=ndjson')).text.trim().split('\n');
    expect(stored).toHaveLength(accepted);
    await server.close();
    await s.cleanup();
  });
});
