// The two wire formats against rows worked out here from the spec (docs/wire-format.md and
// PRODUCT.md §4), independently of the SDK's encoders; the compact bodies are read back with
// the test collector's decoder, written from the spec too.
import { describe, expect, it } from 'vitest';
import { decodeColumns, type WireRequest } from '../../../test-utils/collector.js';
import { batchOf, wholeBatch } from '../src/batch.js';
import { COLUMNS_SLICE_ROWS, columnsBodySliced, rowsBodySliced, SERIALISE_SLICE } from '../src/compress.js';
import type { PrivacyLevel, RequestRecord } from '../src/types.js';
import { rowsBody } from '../src/wire.js';
import { columnsBody } from '../src/wire-columns.js';

/** What the spec says a record becomes on the wire. */
function expected(r: RequestRecord, privacy: PrivacyLevel): WireRequest {
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));
  const rawPath = String(r.path);
  const cut = rawPath.search(/[?#]/);
  const path = (cut === -1 ? rawPath : rawPath.slice(0, cut)) || '/';
  const ip = privacy === 2 || !r.ipAddress ? null : r.ipAddress.split(',')[0]!.trim() || null;
  const ms = Number.isFinite(r.responseTimeMs) && r.responseTimeMs > 0 ? Math.round(r.responseTimeMs) : 0;
  const created = r.createdAt instanceof Date ? r.createdAt.getTime() : (r.createdAt as number);
  return {
    hostname: text(r.hostname),
    ip_address: ip,
    path,
    user_agent: text(r.userAgent),
    method: String(r.method).toUpperCase(),
    status: Number.isFinite(r.status) ? r.status : 0,
    response_time: ms,
    user_id: text(r.userId),
    created_at: new Date(Math.round(created)).toISOString(),
    route: text(r.route),
  };
}

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0, 7);

/** Every field set, awkward strings, nulls, a numeric user id, a Date, odd numbers. */
const AWKWARD: RequestRecord[] = [
  {
    method: 'post',
    path: '/a"b\\c\n\u2028/ünï/😀?q=1#f',
    route: '/a/:b',
    status: 201,
    responseTimeMs: 0.4,
    hostname: 'höst.example',
    ipAddress: '203.0.113.9, 10.0.0.1',
    userAgent: 'ua "quoted" \u0000 \ud800 tab\t',
    userId: 5,
    createdAt: T0,
  },
  { method: 'GET', path: '/', status: Number.NaN, responseTimeMs: -3, createdAt: T0 + 992 },
  {
    method: 'GET',
    path: '',
    route: '',
    status: 404,
    responseTimeMs: 1.5,
    hostname: '',
    ipAddress: '',
    userAgent: null,
    userId: '',
    createdAt: new Date(T0 - 50_000),
  },
  {
    method: 'delete',
    path: '/x?only=query',
    route: null,
    status: 599,
    responseTimeMs: 2 ** 31 + 0.6,
    ipAddress: '::1',
    userId: 'u-😀',
    createdAt: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  },
];

const decodeRows = (body: string) => (JSON.parse(body) as { requests: WireRequest[] }).requests;

describe('wire formats', () => {
  for (const privacy of [0, 1, 2] as const) {
    it(`privacy ${privacy}: rows and columns both carry every field as the spec says`, () => {
      const slice = wholeBatch(batchOf(AWKWARD, privacy !== 2));
      const want = AWKWARD.map((r) => expected(r, privacy));
      const rows = JSON.parse(rowsBody('k"ey', 'Express', privacy, slice));
      expect(rows).toEqual({ api_key: 'k"ey', framework: 'Express', privacy_level: privacy, requests: want });
      const columns = JSON.parse(columnsBody('k"ey', 'Express', privacy, slice));
      expect(columns).toMatchObject({ v: 1, api_key: 'k"ey', framework: 'Express', privacy_level: privacy });
      expect(decodeColumns(columns)).toEqual(want);
    });
  }

  it('the envelope escapes the key and framework', () => {
    const slice = wholeBatch(batchOf(AWKWARD.slice(0, 1)));
    for (const body of [rowsBody, columnsBody]) {
      const parsed = JSON.parse(body('"\\\n😀', 'Nest"JS', 0, slice));
      expect([parsed.api_key, parsed.framework]).toEqual(['"\\\n😀', 'Nest"JS']);
    }
  });

  it('sends each distinct value once, and a column whose rows are all alike as one number', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      method: 'GET',
      path: `/users/${i % 5}?page=${i}`,
      route: '/users/:id',
      status: 200,
      responseTimeMs: i,
      hostname: 'api.example.com',
      ipAddress: '203.0.113.9',
      userAgent: 'Mozilla/5.0',
      createdAt: T0 + i,
    }));
    const body = JSON.parse(columnsBody('k', 'Koa', 0, wholeBatch(batchOf(records))));
    // null, the host, the ip, five paths (query strings cleaned away), the agent, GET, the route.
    expect(body.strings).toHaveLength(1 + 1 + 1 + 5 + 1 + 1 + 1);
    expect(new Set(body.strings).size).toBe(body.strings.length);
    for (const name of ['hostname', 'ip_address', 'user_agent', 'method', 'user_id', 'route', 'status'])
      expect(typeof body.columns[name], name).toBe('number');
    for (const name of ['path', 'response_time', 'created_at']) expect(body.columns[name]).toHaveLength(50);
    expect(decodeColumns(body)).toEqual(records.map((r) => expected(r, 0)));
  });

  it('a slice carries only its own rows and the strings they use', () => {
    const records = Array.from({ length: 10 }, (_, i) => ({
      method: 'GET',
      path: `/p/${i}`,
      status: 200 + i,
      responseTimeMs: i,
      createdAt: T0 + i,
    }));
    const batch = batchOf(records);
    const half = { batch, from: 5, to: 10 };
    const body = JSON.parse(columnsBody('k', 'Hono', 0, half));
    expect(body.count).toBe(5);
    expect(body.strings).not.toContain('/p/4');
    expect(decodeColumns(body)).toEqual(records.slice(5).map((r) => expected(r, 0)));
    expect(decodeRows(rowsBody('k', 'Hono', 0, half))).toEqual(records.slice(5).map((r) => expected(r, 0)));
  });

  it('huge batches: 20 000 varied rows, and either format built in slices equals its one-piece body', async () => {
    const agents = ['Mozilla/5.0 (X11)', 'curl/8.4', 'Go-http-client/1.1', 'ünïcødé/1 😀'];
    const records: RequestRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
      method: i % 7 === 0 ? 'post' : 'GET',
      path: `/users/${(i * 7919) % 10_007}/orders?page=${i % 9}`,
      route: i % 13 === 0 ? null : '/users/:id/orders',
      status: [200, 201, 404, 500][i % 4]!,
      responseTimeMs: ((i * 37) % 2500) / 10,
      hostname: i % 3 === 0 ? 'a.example.com' : 'b.example.com',
      ipAddress: `203.0.${(i * 13) % 256}.${(i * 29) % 256}`,
      userAgent: agents[i % agents.length]!,
      userId: i % 5 === 0 ? null : `user-${(i * 31) % 5000}`,
      createdAt: T0 + i * 3 - (i % 10) * 7,
    }));
    const slice = wholeBatch(batchOf(records));
    const want = records.map((r) => expected(r, 0));
    expect(decodeColumns(JSON.parse(columnsBody('k', 'Express', 0, slice)))).toEqual(want);
    const columns = columnsBody('k', 'Express', 0, slice);
    expect(await columnsBodySliced('k', 'Express', 0, slice)).toBe(columns);
    const small = { batch: slice.batch, from: 0, to: COLUMNS_SLICE_ROWS };
    expect(await columnsBodySliced('k', 'Express', 0, small)).toBe(columnsBody('k', 'Express', 0, small));
    const sliced = await rowsBodySliced('k', 'Express', 0, slice);
    expect(decodeRows(sliced)).toEqual(want);
    expect(sliced).toBe(rowsBody('k', 'Express', 0, slice));
    for (const n of [1, SERIALISE_SLICE, SERIALISE_SLICE + 1]) {
      const part = { batch: slice.batch, from: 3, to: 3 + n };
      expect(await rowsBodySliced('k', 'Express', 1, part)).toBe(rowsBody('k', 'Express', 1, part));
    }
  });
});
