// The dashboard API's periods as the README defines them, with instants computed by hand.
import { describe, expect, it } from 'vitest';
import { MAX_PERIOD_MONTHS, parseDashboardQuery, resolvePeriod } from '../src/dashboard/query.js';

const resolve = (query: Record<string, string>, now: number, firstSeen: number | null = null) =>
  resolvePeriod(parseDashboardQuery(query), now, firstSeen);

describe('dashboard periods', () => {
  it('6 months back from the 31st end on the last day of a shorter month', () => {
    // 12:00 on Aug 30 in New York: today ends at Aug 31 00:00 EDT; six months before is Feb 31,
    // which becomes Feb 28 (00:00 EST).
    const p = resolve({ period: '6m', tz: 'America/New_York' }, Date.UTC(2026, 7, 30, 16));
    expect(p.to).toBe(Date.UTC(2026, 7, 31, 4));
    expect(p.from).toBe(Date.UTC(2026, 1, 28, 5));
    expect(p.bucket).toBe('1d');
  });

  it('all time starts at the local day of the first request, at most 10 years back, and has no previous period', () => {
    const now = Date.UTC(2026, 5, 15, 12);
    const p = resolve({ period: 'all', tz: 'Asia/Kolkata' }, now, Date.UTC(2026, 2, 3, 20)); // Mar 4, 01:30 IST
    expect(p).toEqual({
      period: 'all',
      from: Date.UTC(2026, 2, 3, 18, 30), // Mar 4, 00:00 IST
      to: Date.UTC(2026, 5, 15, 18, 30), // Jun 16, 00:00 IST
      previousFrom: null,
      bucket: '1d',
    });
    expect(MAX_PERIOD_MONTHS).toBe(120);
    const old = resolve({ period: 'all' }, now, Date.UTC(1999, 0, 1));
    expect(old.from).toBe(Date.UTC(2016, 5, 16)); // 120 months before the end of today
    // No data yet: today alone, in 5-minute buckets.
    expect(resolve({ period: 'all' }, now, null)).toMatchObject({
      from: Date.UTC(2026, 5, 15),
      to: Date.UTC(2026, 5, 16),
      bucket: '5m',
    });
  });

  it('a custom wall-clock time in a daylight saving gap means the end of the gap', () => {
    // 02:30 on Mar 8 2026 does not exist in New York: clocks go from 02:00 EST to 03:00 EDT (07:00Z).
    const p = resolve({ from: '2026-03-08T02:30', to: '2026-03-08T05:00', tz: 'America/New_York' }, 0);
    expect(p.from).toBe(Date.UTC(2026, 2, 8, 7));
    expect(p.to).toBe(Date.UTC(2026, 2, 8, 9));
    expect(p.bucket).toBe('5m');
  });

  it('an instant with an offset is that instant, whatever tz', () => {
    const p = resolve(
      { from: '2026-01-01T10:00:00.5+05:30', to: '2026-01-02T00:00Z', tz: 'Europe/Paris' },
      0,
    );
    expect(p.from).toBe(Date.UTC(2026, 0, 1, 4, 30, 0, 500));
    expect(p.to).toBe(Date.UTC(2026, 0, 2));
  });

  it('empty values count as not given; a canonical zone name is echoed', () => {
    expect(parseDashboardQuery({ hostname: '', status: '', tz: 'europe/paris' })).toEqual({
      period: '7d',
      tz: 'Europe/Paris',
      filters: {},
    });
    expect(parseDashboardQuery({ hide: ['/a/*', '', '/a/*'] }).filters).toEqual({ hide: ['/a/*'] });
  });
});
