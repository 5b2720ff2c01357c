// Conformance of the compact batch format (POST /api/log-columns, docs/wire-format.md): the same
// rows sent as rows and as columns read back identically; per-row rejections are the row
// format's; malformed bodies are a 400 and store nothing; the apilens SDK and an upstream
// client report to the same collector. The decoder is the same for every store: one store here.
import { createRequire } from 'node:module';
import { Analytics } from '@apilens/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../src/index.js';
import { freshStore, generateKey, getData, ingest, type Reply, wireRow } from './harness.js';

const T0 = Date.UTC(2026, 10, 27, 10);
const NOW = Date.UTC(2026, 10, 27, 12);

/**
 * The compact body of some wire rows, written from the spec here (not the SDK's encoder):
 * one dictionary, one array per column, `created_at` as offsets from the first row's.
 */
function toCompact(
  envelope: Record<string, unknown>,
  rows: Record<string, unknown>[],
  constant: string[] = [],
): Record<string, unknown> {
  const strings: (string | null)[] = [];
  const ids = new Map<string | null, number>();
  const id = (v: unknown) => {
    const s = v === undefined ? null : (v as string | null);
    if (!ids.has(s)) {
      ids.set(s, strings.length);
      strings.push(s);
    }
    return ids.get(s)!;
  };
  const time = (r: Record<string, unknown>) => Date.parse(r.created_at as string);
  const base = rows.length > 0 ? time(rows[0]!) : 0;
  const columns: Record<string, number | number[]> = {};
  for (const name of ['hostname', 'ip_address', 'path', 'user_agent', 'method', 'user_id', 'route'])
    columns[name] = rows.map((r) => id(r[name]));
  columns.status = rows.map((r) => r.status as number);
  columns.response_time = rows.map((r) => r.response_time as number);
  columns.created_at = rows.map((r) => time(r) - base);
  for (const name of constant) columns[name] = (columns[name] as number[])[0]!;
  return { v: 1, ...envelope, count: rows.length, created_at_base: base, strings, columns };
}

/** Rows with every field set, unicode of every kind, nulls, and empty strings. */
const ROWS: Record<string, unknown>[] = [
  wireRow({ created_at: '2026-11-27T10:00:00.000Z' }),
  wireRow({
    hostname: 'ünïcødé.example',
    ip_address: '2a00:1450::1',
    path: '/ß/日本語/😀/\u2028/"quoted"\\',
    user_agent: 'agent 😀 \ud83d alone',
    method: 'post',
    status: 201,
    response_time: 0,
    user_id: 'ユーザー',
    created_at: '2026-11-27T10:00:01.500Z',
    route: '/ß/:x',
  }),
  wireRow({
    hostname: null,
    ip_address: null,
    user_agent: null,
    user_id: null,
    route: null,
    status: 404,
    created_at: '2026-11-27T09:59:59.999Z',
  }),
  wireRow({ hostname: '', user_agent: '', user_id: '', route: '', created_at: '2026-11-27T10:00:02.000Z' }),
  wireRow({ path: 'x'.repeat(300), user_agent: 'y'.repeat(300), created_at: '2026-11-27T10:00:03.000Z' }),
];

describe('compact batch format', () => {
  let url: string;
  let urls: string[];
  let close: () => Promise<void>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await freshStore('DuckDB');
    cleanup = s.cleanup;
    const app = buildServer({ store: s.store, now: () => NOW, maxBatchRows: 300 });
    urls = [];
    app.addHook('onRequest', async (request) => {
      urls.push(request.url);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    await cleanup?.();
  });

  const compact = (payload: unknown, gzip = true): Promise<Reply> =>
    ingest(url, payload, { gzip, path: '/api/log-columns' });
  const stored = async (key: string) => (await getData(url, key)).json as Record<string, unknown>[];

  it('every field, unicode, nulls, long values: the same rows as columns and as rows read back identically', async () => {
    for (const privacy_level of [0, 1, 2]) {
      const asRows = await generateKey(url);
      const asColumns = await generateKey(url);
      const envelope = { framework: 'Express', privacy_level };
      const r = await ingest(url, { api_key: asRows.api_key, ...envelope, requests: ROWS });
      const c = await compact(toCompact({ api_key: asColumns.api_key, ...envelope }, ROWS));
      expect(c.status).toBe(200);
      expect(c.json).toEqual(r.json);
      expect(c.json).toEqual({ accepted: ROWS.length, rejected: [] });
      const fromColumns = await stored(asColumns.api_key);
      expect(fromColumns).toEqual(await stored(asRows.api_key));
      expect(fromColumns).toHaveLength(ROWS.length);
      // A few values checked against the input itself, not only against the row path.
      const byTime = new Map(fromColumns.map((row) => [row.created_at, row]));
      expect(byTime.get('2026-11-27T10:00:01.500Z')).toMatchObject({
        hostname: 'ünïcødé.example',
        path: '/ß/日本語/😀/\u2028/"quoted"\\',
        method: 'POST',
        user_id: 'ユーザー',
        route: '/ß/:x',
        ip_address: privacy_level === 0 ? '2a00:1450::1' : null,
      });
      expect(byTime.get('2026-11-27T09:59:59.999Z')).toMatchObject({
        hostname: null,
        ip_address: null,
        user_agent: null,
        user_id: null,
        route: null,
        status: 404,
      });
      expect(String(byTime.get('2026-11-27T10:00:03.000Z')?.path)).toHaveLength(255);
    }
  });

  it('a string of the dictionary used in several fields gives each field its own value and verdict', async () => {
    // The collector checks each dictionary string once per use (as a method, a path, an address,
    // an optional text): one string as an IP in one row and a hostname or path in another, an
    // empty one as a path (kept) and as a route (null), a method's spelling as a route.
    const shared = ['', 'get', '10.1.2.3', 'not-an-ip', 'x'.repeat(300), 'lone \ud800'];
    const rows: Record<string, unknown>[] = [];
    let t = Date.parse('2026-11-27T10:00:00.000Z');
    for (const a of shared) {
      for (const b of shared) {
        rows.push(
          wireRow({
            hostname: a,
            ip_address: b,
            path: a,
            route: b,
            user_agent: a,
            user_id: b,
            method: b === 'get' ? b : a === 'get' ? 'GET' : 'PATCH',
            created_at: new Date(t++).toISOString(),
          }),
        );
      }
    }
    // And a method refused, by the same string, in rows that are otherwise fine.
    rows.push(wireRow({ method: 'not-an-ip', created_at: new Date(t++).toISOString() }));
    rows.push(wireRow({ method: '', path: 'get', created_at: new Date(t++).toISOString() }));
    const asRows = await generateKey(url);
    const asColumns = await generateKey(url);
    const envelope = { framework: 'Koa', privacy_level: 0 };
    const r = await ingest(url, { api_key: asRows.api_key, ...envelope, requests: rows });
    const c = await compact(toCompact({ api_key: asColumns.api_key, ...envelope }, rows));
    expect(c.status).toBe(200);
    expect(c.json).toEqual(r.json);
    expect(c.json.rejected.map((x: { index: number }) => x.index)).toEqual([
      rows.length - 2,
      rows.length - 1,
    ]);
    const fromColumns = await stored(asColumns.api_key);
    expect(fromColumns).toEqual(await stored(asRows.api_key));
    // Checked against the input too: an address only where the string is one, '' a path but no route.
    const ip = new Set(fromColumns.map((row) => row.ip_address));
    expect(ip).toEqual(new Set([null, '10.1.2.3']));
    expect(fromColumns.filter((row) => row.path === '')).toHaveLength(shared.length);
    expect(fromColumns.filter((row) => row.route === '')).toHaveLength(0);
  });

  it('a column sent as one number stands for every row; uncompressed bodies are read too', async () => {
    const { api_key } = await generateKey(url);
    const rows = ROWS.slice(0, 3).map((r) => ({ ...r, hostname: 'same.example', status: 200 }));
    const body = toCompact({ api_key, framework: 'Koa', privacy_level: 0 }, rows, ['hostname', 'status']);
    expect(typeof (body.columns as Record<string, unknown>).hostname).toBe('number');
    const c = await compact(body, false);
    expect(c.json).toEqual({ accepted: 3, rejected: [] });
    const got = await stored(api_key);
    expect(got.map((r) => [r.hostname, r.status])).toEqual(rows.map(() => ['same.example', 200]));
  });

  it('bad rows are rejected one by one, with the indexes and messages of the row format', async () => {
    const rows = [
      wireRow({ created_at: '2026-11-27T10:00:00.000Z' }),
      wireRow({ status: 700, created_at: '2026-11-27T10:00:00.001Z' }),
      wireRow({ method: 'FETCH', created_at: '2026-11-27T10:00:00.002Z' }),
      wireRow({ path: null, created_at: '2026-11-27T10:00:00.003Z' }),
      wireRow({ method: null, created_at: '2026-11-27T10:00:00.004Z' }),
      wireRow({ created_at: '2026-11-27T10:00:00.005Z' }),
    ];
    const a = await generateKey(url);
    const b = await generateKey(url);
    const r = await ingest(url, { api_key: a.api_key, framework: 'Hono', privacy_level: 0, requests: rows });
    const c = await compact(toCompact({ api_key: b.api_key, framework: 'Hono', privacy_level: 0 }, rows));
    expect(c.json.accepted).toBe(2);
    expect(c.json.rejected.map((x: { index: number }) => x.index)).toEqual([1, 2, 3, 4]);
    expect(c.json).toEqual(r.json);
    expect(await stored(b.api_key)).toEqual(await stored(a.api_key));
  });

  it('huge and empty batches: the rows-per-batch limit holds (413), count 0 is a 400; nothing stored', async () => {
    const { api_key } = await generateKey(url);
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        wireRow({ path: `/h/${i}`, created_at: new Date(T0 + i).toISOString() }),
      );
    const envelope = { api_key, framework: 'Express', privacy_level: 0 };
    const over = await compact(toCompact(envelope, rows(301)));
    expect(over.status).toBe(413);
    expect(over.json.error).toMatch(/301 rows, more than the limit of 300/);
    const empty = await compact(toCompact(envelope, []));
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatch(/"count" is 0/);
    expect(await stored(api_key)).toEqual([]);
    const full = await compact(toCompact(envelope, rows(300)));
    expect(full.json).toEqual({ accepted: 300, rejected: [] });
    const got = await stored(api_key);
    expect(got.map((r) => r.path)).toEqual(rows(300).map((r) => r.path));
  });

  it('a malformed compact body is a 400 naming the fault, an unknown version a 415; nothing is stored', async () => {
    const { api_key } = await generateKey(url);
    const good = () => toCompact({ api_key, framework: 'Express', privacy_level: 0 }, ROWS.slice(0, 2));
    const cases: Array<[string, (b: any) => void, number, RegExp]> = [
      ['v missing', (b) => delete b.v, 400, /"v" must be the format version/],
      ['v a string', (b) => (b.v = '1'), 400, /"v" must be the format version/],
      [
        'v from the future',
        (b) => (b.v = 2),
        415,
        /version 2 is not supported; this collector reads version 1/,
      ],
      ['count missing', (b) => delete b.count, 400, /"count" must be the number of rows/],
      ['count fractional', (b) => (b.count = 1.5), 400, /"count" must be/],
      ['base missing', (b) => delete b.created_at_base, 400, /"created_at_base" must be an integer/],
      ['strings an object', (b) => (b.strings = {}), 400, /"strings" must be an array/],
      ['a string that is a number', (b) => b.strings.push(7), 400, /strings\[\d+\] is number/],
      ['columns missing', (b) => delete b.columns, 400, /"columns" must be an object/],
      ['a column missing', (b) => delete b.columns.route, 400, /columns\.route is missing/],
      [
        'a column too short',
        (b) => b.columns.status.pop(),
        400,
        /columns\.status has 1 values, not count \(2\)/,
      ],
      ['count larger than the columns', (b) => (b.count = 3), 400, /has 2 values, not count \(3\)/],
      [
        'an index beyond the strings',
        (b) => (b.columns.path[1] = 99),
        400,
        /columns\.path\[1\] is 99, beyond/,
      ],
      [
        'an index one past the end',
        (b) => (b.columns.user_agent = [0, b.strings.length]),
        400,
        /columns\.user_agent\[1\] is \d+, beyond/,
      ],
      ['a negative index', (b) => (b.columns.method[0] = -1), 400, /columns\.method\[0\] is -1, beyond/],
      [
        'a fractional status',
        (b) => (b.columns.status[0] = 200.5),
        400,
        /columns\.status\[0\] is 200\.5, not an integer/,
      ],
      ['a null offset', (b) => (b.columns.created_at[1] = null), 400, /columns\.created_at\[1\] is null/],
      [
        'a constant column out of range',
        (b) => (b.columns.hostname = 1e6),
        400,
        /columns\.hostname is 1000000, beyond/,
      ],
    ];
    for (const [what, spoil, status, message] of cases) {
      const body = good();
      spoil(body);
      const r = await compact(body);
      expect([what, r.status]).toEqual([what, status]);
      expect(r.json.error, what).toMatch(message);
    }
    const notJson = await compact('{"v": 1, "count": ', false);
    expect(notJson.status).toBe(400);
    const badGzip = await ingest(url, 'not gzip', {
      path: '/api/log-columns',
      headers: { 'content-encoding': 'gzip' },
    });
    expect(badGzip.status).toBe(400);
    expect(await stored(api_key)).toEqual([]);
  });

  it('an unknown key is a 401, as for rows', async () => {
    const r = await compact(toCompact({ api_key: 'no-such-key', framework: 'Express' }, ROWS.slice(0, 1)));
    expect(r.status).toBe(401);
  });

  it('the upstream client (node-api-analytics) and the apilens SDK report to the same key', async () => {
    const { api_key } = await generateKey(url);
    // The real upstream middleware, driven with a request-shaped object: it posts rows once a
    // minute, so its clock is moved past the minute before the request that makes it post.
    const require = createRequire(import.meta.url);
    const upstream = (await import(require.resolve('node-api-analytics'))) as {
      Config: new () => { serverUrl: string };
      expressAnalytics: (
        key: string,
        config: unknown,
      ) => (req: unknown, res: unknown, next: () => void) => void;
    };
    const config = new upstream.Config();
    config.serverUrl = url;
    const middleware = upstream.expressAnalytics(api_key, config);
    const req = (path: string) => ({
      url: path,
      method: 'GET',
      headers: { host: 'upstream.example', 'user-agent': 'curl/8.5.0' },
      socket: { remoteAddress: '8.8.4.4' },
    });
    middleware(req('/from/upstream/1'), { statusCode: 200 }, () => {});
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      middleware(req('/from/upstream/2'), { statusCode: 201 }, () => {});
    } finally {
      vi.useRealTimers();
    }

    const sdk = new Analytics(api_key, 'Express', { serverUrl: url, onError: () => {} });
    for (let i = 0; i < 3; i++) {
      sdk.record({
        method: 'GET',
        path: `/from/apilens/${i}`,
        route: '/from/apilens/:i',
        status: 200,
        responseTimeMs: i,
        hostname: 'apilens.example',
        userAgent: 'curl/8.5.0',
        createdAt: T0 + i,
      });
    }
    expect(await sdk.shutdown(5000)).toBe(true);
    await vi.waitFor(async () => expect(await stored(api_key)).toHaveLength(5), { timeout: 5000 });
    const got = await stored(api_key);
    expect(got.map((r) => r.path).sort()).toEqual([
      '/from/apilens/0',
      '/from/apilens/1',
      '/from/apilens/2',
      '/from/upstream/1',
      '/from/upstream/2',
    ]);
    expect(got.find((r) => r.path === '/from/upstream/2')).toMatchObject({
      hostname: 'upstream.example',
      ip_address: '8.8.4.4',
      status: 201,
      route: null,
    });
    // The SDK went straight to the compact endpoint; the upstream client to the row endpoint.
    expect(urls).toContain('/api/log-columns');
    expect(urls).toContain('/api/log-request');
  });
});
