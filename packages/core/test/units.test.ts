import { describe, expect, it } from 'vitest';
import { ApilensError, defaultIpAddress, defaultIpAddressFrom } from '../src/index.js';
import { stripQuery } from '../src/internal.js';
import { RingQueue } from '../src/queue.js';
import { Reporter } from '../src/report.js';
import { backoffMs, isRetryableStatus, parseRetryAfter } from '../src/retry.js';

describe('RingQueue', () => {
  it('keeps FIFO order, drops the oldest when full and counts what left', () => {
    const q = new RingQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([false, false, false, true]);
    expect(q.length).toBe(3);
    expect(q.take(2)).toEqual([2, 3]);
    q.push(5);
    q.push(6);
    expect(q.take(10)).toEqual([4, 5, 6]);
    expect(q.removed).toBe(6);
    expect(q.take(1)).toEqual([]);
  });
});

describe('retry timing', () => {
  it('backs off exponentially from 0.5 s, half of each wait random, capped at 30 s', () => {
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(1, () => 1)).toBe(1000);
    expect(backoffMs(3, () => 0.5)).toBe(3000);
    expect(backoffMs(20, () => 0)).toBe(15_000);
    expect(backoffMs(20, () => 1)).toBe(30_000);
  });

  it('retries network failures (elsewhere), 408, 429 and 5xx; not other statuses', () => {
    expect([408, 429, 500, 502, 503, 599].map(isRetryableStatus)).toEqual(Array(6).fill(true));
    expect([400, 401, 403, 404, 413, 422].map(isRetryableStatus)).toEqual(Array(6).fill(false));
  });

  it('parses Retry-After seconds and HTTP dates, capped at two minutes', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('99999')).toBe(120_000);
    const now = Date.UTC(2026, 10, 27, 10, 0, 0);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('Reporter', () => {
  it('rate-limits per key and reports what it suppressed', () => {
    let t = 0;
    const got: string[] = [];
    const r = new Reporter(
      '@apilens/x',
      (e) => got.push(e.message),
      () => t,
    );
    r.report(new ApilensError('mapper', 'a'), 'k');
    r.report(new ApilensError('mapper', 'b'), 'k');
    r.report(new ApilensError('network', 'c'));
    r.report(new ApilensError('network', 'd'));
    t = 61_000;
    r.report(new ApilensError('mapper', 'e'), 'k');
    expect(got).toEqual(['a', 'c', 'd', 'e']);
  });
});

describe('helpers', () => {
  it('stripQuery removes query and fragment', () => {
    expect(stripQuery('/a?b=1#c')).toBe('/a');
    expect(stripQuery('/a#c?d')).toBe('/a');
    expect(stripQuery('/a')).toBe('/a');
  });

  it('default IP order: cf-connecting-ip, x-forwarded-for, x-real-ip, socket', () => {
    expect(defaultIpAddress({ 'cf-connecting-ip': '1.1.1.1', 'x-forwarded-for': '2.2.2.2' }, '9.9.9.9')).toBe(
      '1.1.1.1',
    );
    expect(
      defaultIpAddress({ 'x-forwarded-for': '2.2.2.2, 3.3.3.3', 'x-real-ip': '4.4.4.4' }, '9.9.9.9'),
    ).toBe('2.2.2.2, 3.3.3.3');
    expect(defaultIpAddress({ 'x-real-ip': '4.4.4.4' }, '9.9.9.9')).toBe('4.4.4.4');
    expect(defaultIpAddress({ 'x-forwarded-for': '' }, '9.9.9.9')).toBe('9.9.9.9');
    const h = new Headers({ 'x-real-ip': '4.4.4.4' });
    expect(defaultIpAddressFrom((n) => h.get(n), '9.9.9.9')).toBe('4.4.4.4');
  });
});

describe('serialise', () => {
  it('writes the upstream wire JSON: fields in order, cleaned, awkward strings and dates included', async () => {
    const { serialise } = await import('../src/wire.js');
    const records = [
      {
        method: 'post',
        path: '/a"b\\c\n\u2028?q',
        route: '/a/:b',
        status: 201,
        responseTimeMs: 0.4,
        hostname: 'h',
        ipAddress: '1.1.1.1',
        userAgent: 'ua "quoted" \u0000',
        userId: 5,
        createdAt: Date.UTC(2026, 10, 27, 10, 0, 0, 7),
      },
      {
        method: 'GET',
        path: '/',
        status: Number.NaN,
        responseTimeMs: -3,
        createdAt: Date.UTC(2026, 10, 27, 10, 0, 0, 999),
      },
      {
        method: 'GET',
        path: '/x',
        status: 200,
        responseTimeMs: 1.5,
        createdAt: Date.UTC(2026, 10, 27, 10, 0, 1, 50),
      },
      {
        method: 'GET',
        path: '/y',
        status: 200,
        responseTimeMs: 1,
        createdAt: new Date('+010000-01-01T00:00:00Z'),
      },
    ];
    // Written by hand, in the wire's field order; JSON.stringify of these is the expected text.
    const wire = (ip: string | null) => [
      {
        hostname: 'h',
        ip_address: ip,
        path: '/a"b\\c\n\u2028',
        user_agent: 'ua "quoted" \u0000',
        method: 'POST',
        status: 201,
        response_time: 0,
        user_id: '5',
        created_at: '2026-11-27T10:00:00.007Z',
        route: '/a/:b',
      },
      {
        hostname: null,
        ip_address: null,
        path: '/',
        user_agent: null,
        method: 'GET',
        status: null, // NaN has no JSON form
        response_time: 0,
        user_id: null,
        created_at: '2026-11-27T10:00:00.999Z',
        route: null,
      },
      {
        hostname: null,
        ip_address: null,
        path: '/x',
        user_agent: null,
        method: 'GET',
        status: 200,
        response_time: 2,
        user_id: null,
        created_at: '2026-11-27T10:00:01.050Z',
        route: null,
      },
      {
        hostname: null,
        ip_address: null,
        path: '/y',
        user_agent: null,
        method: 'GET',
        status: 200,
        response_time: 1,
        user_id: null,
        created_at: '+010000-01-01T00:00:00.000Z',
        route: null,
      },
    ];
    expect(serialise('k"ey', 'Express', 0, records)).toBe(
      JSON.stringify({ api_key: 'k"ey', framework: 'Express', privacy_level: 0, requests: wire('1.1.1.1') }),
    );
    expect(serialise('k"ey', 'Express', 2, records)).toBe(
      JSON.stringify({ api_key: 'k"ey', framework: 'Express', privacy_level: 2, requests: wire(null) }),
    );
  });
});

describe('serialiseSliced', () => {
  it('writes the whole batch for batches spanning several slices', async () => {
    const { SERIALISE_SLICE, serialiseSliced } = await import('../src/compress.js');
    for (const n of [0, 1, SERIALISE_SLICE, SERIALISE_SLICE + 1, 3 * SERIALISE_SLICE + 7]) {
      const records = Array.from({ length: n }, (_, i) => ({
        method: 'GET',
        path: `/p/${i}?q="x"`,
        status: 200 + (i % 300),
        responseTimeMs: i,
        userAgent: i % 2 ? 'ua\n"quoted"' : null,
        createdAt: Date.UTC(2026, 0, 1) + i,
      }));
      // The expected body built here from the records, without the module's serialiser.
      const requests = records.map((r, i) => ({
        hostname: null,
        ip_address: null,
        path: `/p/${i}`,
        user_agent: r.userAgent,
        method: 'GET',
        status: r.status,
        response_time: i,
        user_id: null,
        created_at: new Date(r.createdAt).toISOString(),
        route: null,
      }));
      const sliced = await serialiseSliced('k"ey', 'Express', 1, records);
      expect(sliced).toBe(
        JSON.stringify({ api_key: 'k"ey', framework: 'Express', privacy_level: 1, requests }),
      );
    }
  });
});
