import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';
import {
  countUserAgents,
  freshStore,
  generateKey,
  getData,
  ingest,
  STORES,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

describe.each(STORES)('ingest over HTTP (%s)', (storeName) => {
  let server: TestServer;
  let store: Store;
  let cleanup: () => Promise<void>;
  let location: { db?: string; databaseUrl?: string };
  beforeAll(async () => {
    const s = await freshStore(storeName);
    store = s.store;
    cleanup = s.cleanup;
    location = s.location;
    server = await startServer(store, { now: () => Date.UTC(2026, 10, 27, 12) });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('golden: payloads shaped like the upstream JS, Python and Go clients read back through the data API', async () => {
    const { api_key } = await generateKey(server.url);
    // Upstream JS (Express) client: toISOString(), numbers, nulls, route extension.
    const js = {
      api_key,
      framework: 'Express',
      privacy_level: 0,
      requests: [
        {
          hostname: 'api.example.com',
          ip_address: '8.8.8.8',
          path: '/users/42',
          user_agent: CHROME,
          method: 'GET',
          status: 200,
          response_time: 12,
          user_id: null,
          created_at: '2026-11-27T10:00:00.000Z',
          route: '/users/:id',
        },
      ],
    };
    // Upstream Python (FastAPI) client: datetime.isoformat() without a zone, microseconds,
    // privacy level 1 (country kept, IP dropped), numeric user id, an unknown extra field.
    const python = {
      api_key,
      framework: 'FastAPI',
      privacy_level: 1,
      requests: [
        {
          hostname: 'py.example.com',
          ip_address: '2a00:1450::1',
          path: '/items/update;drop',
          user_agent: IPHONE,
          method: 'POST',
          status: 201,
          response_time: 3.7,
          user_id: 42,
          created_at: '2026-11-27T10:00:01.123456',
          referrer: 'ignored',
        },
      ],
    };
    // Upstream Go (Gin) client: RFC 3339 with nanoseconds and an offset, "" for unknown values,
    // no user_id, no privacy_level.
    const go = {
      api_key,
      framework: 'Gin',
      requests: [
        {
          hostname: 'go.example.com',
          ip_address: '',
          path: '/ping',
          user_agent: 'Go-http-client/1.1',
          method: 'HEAD',
          status: 204,
          response_time: 0,
          created_at: '2026-11-27T11:00:02.123456789+01:00',
        },
      ],
    };
    // Privacy level 2: the IP is never stored nor located even if a client sends one.
    const private2 = {
      api_key,
      framework: 'Django',
      privacy_level: 2,
      requests: [
        wireRow({ created_at: '2026-11-27T10:00:03+00:00', ip_address: '8.8.8.8', route: undefined }),
      ],
    };
    for (const p of [js, python, go]) {
      const r = await ingest(server.url, p, { gzip: p === go });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ accepted: 1, rejected: [] });
    }
    expect((await ingest(server.url, private2, { path: '/api/requests' })).json).toEqual({
      accepted: 1,
      rejected: [],
    });

    const rows = (await getData(server.url, api_key)).json;
    expect(rows).toEqual([
      {
        hostname: 'api.example.com',
        ip_address: '8.8.8.8',
        path: '/users/42',
        route: '/users/:id',
        user_agent: CHROME,
        browser: 'Chrome',
        os: 'Windows',
        device: 'desktop',
        method: 'GET',
        status: 200,
        response_time: 12,
        location: 'US',
        user_id: null,
        framework: 'Express',
        created_at: '2026-11-27T10:00:00.000Z',
      },
      {
        hostname: 'py.example.com',
        ip_address: null,
        path: '/items/update;drop',
        route: null,
        user_agent: IPHONE,
        browser: 'Mobile Safari',
        os: 'iOS',
        device: 'mobile',
        method: 'POST',
        status: 201,
        response_time: 4,
        location: 'IE',
        user_id: '42',
        framework: 'FastAPI',
        created_at: '2026-11-27T10:00:01.123Z',
      },
      {
        hostname: 'go.example.com',
        ip_address: null,
        path: '/ping',
        route: null,
        user_agent: 'Go-http-client/1.1',
        browser: 'Go-http-client',
        os: null,
        device: 'other',
        method: 'HEAD',
        status: 204,
        response_time: 0,
        location: null,
        user_id: null,
        framework: 'Gin',
        created_at: '2026-11-27T10:00:02.123Z',
      },
      expect.objectContaining({
        ip_address: null,
        location: null,
        framework: 'Django',
        created_at: '2026-11-27T10:00:03.000Z',
      }),
    ]);
  });

  it('created_at as epoch milliseconds, or missing (the time of arrival)', async () => {
    const { api_key } = await generateKey(server.url);
    const noTime = wireRow({ path: '/missing' });
    delete noTime.created_at;
    const r = await ingest(server.url, {
      api_key,
      requests: [
        wireRow({ path: '/epoch', created_at: Date.UTC(2026, 10, 27, 9, 30, 0, 123) }),
        wireRow({ path: '/fraction', created_at: Date.UTC(2026, 10, 27, 9, 30, 1) + 0.6 }),
        noTime,
        wireRow({ path: '/null', created_at: null }),
      ],
    });
    expect(r.json).toEqual({ accepted: 4, rejected: [] });
    const rows = (await getData(server.url, api_key)).json;
    // The server's clock is 2026-11-27T12:00:00Z (startServer's `now`).
    expect(rows.map((x: { path: string; created_at: string }) => [x.path, x.created_at])).toEqual([
      ['/epoch', '2026-11-27T09:30:00.123Z'],
      ['/fraction', '2026-11-27T09:30:01.001Z'],
      ['/missing', '2026-11-27T12:00:00.000Z'],
      ['/null', '2026-11-27T12:00:00.000Z'],
    ]);
  });

  it('reads a deflate-encoded body, and answers bad deflate data with a 400', async () => {
    const { api_key } = await generateKey(server.url);
    const body = deflateSync(
      JSON.stringify({ api_key, framework: 'Flask', requests: [wireRow({ path: '/deflated' })] }),
    );
    const r = await ingest(server.url, body, { headers: { 'content-encoding': 'deflate' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
    const bad = await ingest(server.url, Buffer.from('not deflate'), {
      headers: { 'content-encoding': 'deflate' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^request body is not valid deflate data/);
    expect((await getData(server.url, api_key)).json).toEqual([
      expect.objectContaining({ path: '/deflated', framework: 'Flask' }),
    ]);
  });

  it('accepts every upstream framework name', async () => {
    const { api_key } = await generateKey(server.url);
    const names = [
      'Express',
      'Fastify',
      'Koa',
      'Hono',
      'NestJS',
      'FastAPI',
      'Flask',
      'Django',
      'Tornado',
      'Gin',
      'Echo',
      'Fiber',
      'Chi',
      'Actix',
      'Axum',
      'Rocket',
      'Rails',
      'Sinatra',
      'Laravel',
      'ASP.NET Core',
      'Something New',
    ];
    for (const framework of names) {
      const r = await ingest(server.url, { api_key, framework, privacy_level: 0, requests: [wireRow()] });
      expect(r.json).toEqual({ accepted: 1, rejected: [] });
    }
    const got = (await getData(server.url, api_key)).json.map((r: { framework: string }) => r.framework);
    expect(got).toEqual(names);
  });

  it('rejects invalid rows with a reason and stores the rest', async () => {
    const { api_key } = await generateKey(server.url);
    const r = await ingest(server.url, {
      api_key,
      framework: 'Express',
      requests: [
        wireRow({ path: '/ok1' }),
        wireRow({ method: 'FETCH' }),
        wireRow({ status: 99 }),
        wireRow({ status: 600 }),
        wireRow({ status: '200' }),
        wireRow({ created_at: 'yesterday' }),
        wireRow({ created_at: '2026-02-30T10:00:00Z' }),
        wireRow({ response_time: -1 }),
        wireRow({ response_time: 'fast' }),
        'not an object',
        wireRow({ path: 7 }),
        wireRow({ user_agent: { nested: true } }),
        wireRow({ path: '/ok2', method: 'delete' }),
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(2);
    expect(r.json.rejected.map((x: { index: number }) => x.index)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    const errors = r.json.rejected.map((x: { error: string }) => x.error);
    expect(errors[0]).toMatch(/unknown method "FETCH"/);
    expect(errors[1]).toMatch(/status must be an integer from 100 to 599/);
    expect(errors[4]).toMatch(/created_at "yesterday" is not an ISO 8601 timestamp/);
    expect(errors[6]).toMatch(/response_time must be a non-negative number/);
    expect(errors[8]).toBe('row must be a JSON object');
    expect(errors[10]).toMatch(/user_agent must be a string or null/);
    const rows = (await getData(server.url, api_key)).json;
    expect(rows.map((x: { path: string; method: string }) => `${x.method} ${x.path}`)).toEqual([
      'GET /ok1',
      'DELETE /ok2',
    ]);
  });

  it('truncates strings to 255 characters and stores hostile content as sent', async () => {
    const { api_key } = await generateKey(server.url);
    const long = `/${'é'.repeat(400)}`;
    const hostile = "/search?q=' OR 1=1; DROP TABLE requests; --<script>alert(1)</script>";
    const r = await ingest(server.url, {
      api_key,
      requests: [
        wireRow({
          path: long,
          user_agent: 'u'.repeat(300),
          user_id: 'x'.repeat(256),
          hostname: 'h'.repeat(256),
        }),
        wireRow({ path: hostile, user_agent: 'sqlmap/1.7 (select * from keys)', user_id: 'a\u0000b' }),
        wireRow({ path: `/${'a'.repeat(253)}😀tail` }),
      ],
    });
    expect(r.json).toEqual({ accepted: 3, rejected: [] });
    const rows = (await getData(server.url, api_key)).json;
    expect(rows[0].path).toBe(long.slice(0, 255));
    expect(rows[0].user_agent).toHaveLength(255);
    expect(rows[0].user_id).toHaveLength(255);
    expect(rows[0].hostname).toHaveLength(255);
    expect(rows[1].path).toBe(hostile);
    expect(rows[1].user_agent).toBe('sqlmap/1.7 (select * from keys)');
    expect(rows[1].user_id).toBe('a\uFFFDb');
    // Never half a surrogate pair.
    expect(rows[2].path).toBe(`/${'a'.repeat(253)}`);
  });

  it('stores each distinct user agent once', async () => {
    const { api_key } = await generateKey(server.url);
    const requests = Array.from({ length: 300 }, (_, i) => wireRow({ user_agent: `agent-${i % 3}/1.0` }));
    expect((await ingest(server.url, { api_key, requests }, { gzip: true })).json.accepted).toBe(300);
    expect((await ingest(server.url, { api_key, requests }, { gzip: true })).json.accepted).toBe(300);
    expect(await countUserAgents({ location, store }, ['agent-0/1.0', 'agent-1/1.0', 'agent-2/1.0'])).toBe(3);
    const rows = (await getData(server.url, api_key, 'format=ndjson')).text.trim().split('\n');
    expect(rows).toHaveLength(600);
    expect(new Set(rows.map((l) => JSON.parse(l).user_agent)).size).toBe(3);
  });

  it('stores a lone surrogate as U+FFFD, as sent again in later batches, under one user agent', async () => {
    const { api_key } = await generateKey(server.url);
    // JSON.stringify escapes lone surrogates (\ud800), so they reach the collector as sent.
    const agents = ['lone \ud800 agent', 'lone \udfff agent', 'lone \ufffd agent'];
    for (const [i, ua] of agents.entries()) {
      const r = await ingest(server.url, {
        api_key,
        requests: [wireRow({ user_agent: ua, path: `/s/${i}`, user_id: `u\ud83d${i}` })],
      });
      expect(r.json, r.text).toEqual({ accepted: 1, rejected: [] });
    }
    const rows = (await getData(server.url, api_key)).json;
    expect(rows.map((x: { user_agent: string }) => x.user_agent)).toEqual(Array(3).fill('lone \ufffd agent'));
    expect(rows.map((x: { user_id: string }) => x.user_id)).toEqual(['u\ufffd0', 'u\ufffd1', 'u\ufffd2']);
    expect(await countUserAgents({ location, store }, ['lone \ufffd agent'])).toBe(1);
  });
});

describe('GeoIP database option', () => {
  const payload = (api_key: string) => ({
    api_key,
    requests: [
      wireRow({ ip_address: '8.8.8.8' }),
      wireRow({ ip_address: '2a00:1450::1' }),
      wireRow({ ip_address: 'not-an-ip' }),
      // How Node reports an IPv4 client on a dual-stack socket.
      wireRow({ ip_address: '::ffff:8.8.8.8' }),
    ],
  });

  it('reads another .mmdb file, or none at all', async () => {
    // The package the bundled database is copied from (a development dependency) has this one too.
    const ipv4Only = createRequire(import.meta.url).resolve(
      '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb',
    );
    for (const [geoipDb, expected] of [
      // IPv4-only database: an IPv6 address is not in it (read as its first 32 bits, 2a00:1450::
      // would be 42.0.20.80, in China); an IPv4-mapped one is its IPv4 address.
      [ipv4Only, ['US', null, null, 'US']],
      [false, [null, null, null, null]],
      [undefined, ['US', 'IE', null, 'US']],
    ] as const) {
      const s = await freshStore('DuckDB');
      const server = await startServer(s.store, { geoipDb });
      try {
        const { api_key } = await generateKey(server.url);
        expect((await ingest(server.url, payload(api_key))).json.accepted).toBe(4);
        const rows = (await getData(server.url, api_key)).json;
        expect(rows.map((r: { location: string | null }) => r.location)).toEqual(expected);
        // Not an address: stored as unknown, the row kept.
        expect(rows[2].ip_address).toBeNull();
      } finally {
        await server.close();
        await s.cleanup();
      }
    }
  });

  it('fails to start with a message naming a missing file', async () => {
    const s = await freshStore('DuckDB');
    try {
      await expect(startServer(s.store, { geoipDb: '/nonexistent/db.mmdb' })).rejects.toThrow(
        /cannot open the GeoIP database \/nonexistent\/db.mmdb/,
      );
    } finally {
      await s.cleanup();
    }
  });
});
