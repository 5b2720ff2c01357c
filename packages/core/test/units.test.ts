import { describe, expect, it, vi } from 'vitest';
import { ApilensError, defaultIpAddress, defaultIpAddressFrom } from '../src/index.js';
import { stripQuery } from '../src/internal.js';
import { BatchQueue } from '../src/queue.js';
import { Reporter } from '../src/report.js';
import { backoffMs, isRetryableStatus, parseRetryAfter } from '../src/retry.js';
import { WALL_CLOCK_RESYNC_MS, WallClock } from '../src/wall-clock.js';

describe('BatchQueue', () => {
  /** The ids of a batch's live rows, read back through its dictionary (the path column). */
  const paths = (q: BatchQueue) => {
    const out: string[] = [];
    for (let b = q.take(); b !== undefined; b = q.take()) {
      for (let i = b.start; i < b.end; i++) out.push(b.strings[b.path[i]!] as string);
    }
    return out;
  };
  const push = (q: BatchQueue, path: string) => {
    if (q.isFull) q.dropOldest();
    q.writable().add('GET', path, null, 200, 1, null, null, null, null, 0);
  };

  it('keeps FIFO order in batches of batchSize, drops the oldest when full and counts what left', () => {
    const q = new BatchQueue(2, 5);
    for (const p of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) push(q, p);
    expect(q.length).toBe(5);
    expect(q.removed).toBe(2);
    expect(q.hasFullBatch).toBe(true);
    expect(paths(q)).toEqual(['c', 'd', 'e', 'f', 'g']);
    expect(q.removed).toBe(7);
    expect(q.take()).toBeUndefined();
  });

  it('reuses released batches with an empty dictionary', () => {
    const q = new BatchQueue(2, 4);
    push(q, '/x');
    const b = q.take();
    expect(b).toBeDefined();
    q.release(b!);
    push(q, '/y');
    const again = q.take();
    expect(again).toBe(b);
    expect(again!.strings).toEqual([null, 'GET', '/y']);
    expect(q.clear()).toBe(0);
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

describe('WallClock', () => {
  it('dates performance.now() readings from one wall-clock offset per second, then reads both clocks again', () => {
    const clock = new WallClock();
    const offsetNow = () => Date.now() - performance.now();
    const lo = offsetNow();
    const t = performance.now();
    const first = clock.epochAt(t);
    const hi = offsetNow();
    // The first reading syncs: epoch = t + the offset between the clocks (Date.now() is whole ms).
    expect(first - t).toBeGreaterThanOrEqual(Math.min(lo, hi) - 1);
    expect(first - t).toBeLessThanOrEqual(Math.max(lo, hi) + 1);
    // A wall-clock step (NTP, a resumed VM): ignored within the second, picked up after it, and
    // by a reading from before the sync.
    const realNow = Date.now;
    const step = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 60_000);
    try {
      expect(clock.epochAt(t + 400.25)).toBe(first + 400.25);
      expect(clock.epochAt(t + WALL_CLOCK_RESYNC_MS - 0.5)).toBe(first + WALL_CLOCK_RESYNC_MS - 0.5);
      // (+ 1 ms: `(t + 1000) - t` can come out a hair under 1000 in floating point.)
      for (const later of [t + WALL_CLOCK_RESYNC_MS + 1, t - 1]) {
        const shifted = clock.epochAt(later) - later - (first - t);
        expect(shifted).toBeGreaterThanOrEqual(60_000 - 2);
        expect(shifted).toBeLessThanOrEqual(60_000 + 2);
        step.mockImplementation(() => realNow());
        clock.epochAt(later + 2 * WALL_CLOCK_RESYNC_MS); // back to the real clock for the next case
        step.mockImplementation(() => realNow() + 60_000);
        clock.epochAt(later + 4 * WALL_CLOCK_RESYNC_MS);
        step.mockImplementation(() => realNow());
        clock.epochAt(t - 10 * WALL_CLOCK_RESYNC_MS);
        step.mockImplementation(() => realNow() + 60_000);
      }
    } finally {
      step.mockRestore();
    }
  });
});
