import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/monitor/types.js';
import {
  BASE_SLOT_MS,
  buildSlots,
  PERIOD_NAMES,
  periodLayout,
  type SlotAggregate,
  uptimeOf,
  worseAttempt,
} from '../../src/monitor/uptime.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const attempt = (at: number, failure: Attempt['failure'] = null, responseMs = 20): Attempt => ({
  at,
  responseMs,
  status: failure === null || failure === 'unexpected_status' ? (failure ? 500 : 200) : null,
  failure,
  detail: failure,
});

/** What a store answers: attempts summed per 15-minute slot (written here from scratch, as a store would). */
function baseAggregates(attempts: Attempt[]): SlotAggregate[] {
  const bySlot = new Map<number, Attempt[]>();
  for (const a of attempts) {
    const t = a.at - (a.at % BASE_SLOT_MS);
    bySlot.set(t, [...(bySlot.get(t) ?? []), a]);
  }
  return [...bySlot].map(([t, list]) => {
    const answered = list.filter((a) => a.status !== null);
    const failed = list.filter((a) => a.failure !== null);
    const worst = failed.length
      ? failed.reduce((w, a) => (a.at > w.at ? a : w))
      : list.reduce((w, a) =>
          a.responseMs > w.responseMs || (a.responseMs === w.responseMs && a.at > w.at) ? a : w,
        );
    return {
      t,
      attempts: list.length,
      failures: failed.length,
      answered: answered.length,
      sumResponseMs: answered.reduce((s, a) => s + a.responseMs, 0),
      maxResponseMs: answered.length ? Math.max(...answered.map((a) => a.responseMs)) : null,
      worst,
    };
  });
}

describe('periodLayout', () => {
  const now = Date.UTC(2026, 2, 10, 12, 37, 5);

  it('24 h: 96 slots of 15 min, the last one holding now', () => {
    expect(periodLayout('24h', now)).toEqual({
      from: Date.UTC(2026, 2, 9, 12, 45),
      slotMs: 15 * MIN,
      slots: 96,
      now,
    });
  });

  it('7 d: 84 slots of 2 h; 30 d: 90 slots of 8 h; 60 d: 60 UTC days', () => {
    expect(periodLayout('7d', now)).toMatchObject({
      from: Date.UTC(2026, 2, 3, 14),
      slotMs: 2 * HOUR,
      slots: 84,
    });
    expect(periodLayout('30d', now)).toMatchObject({
      from: Date.UTC(2026, 1, 8, 16),
      slotMs: 8 * HOUR,
      slots: 90,
    });
    expect(periodLayout('60d', now)).toMatchObject({ from: Date.UTC(2026, 0, 10), slotMs: DAY, slots: 60 });
  });
});

describe('buildSlots and uptimeOf', () => {
  it('a small case worked by hand', () => {
    const now = Date.UTC(2026, 2, 10, 12, 0) + 5 * MIN; // 5 minutes into the current slot
    const layout = periodLayout('24h', now);
    const last = layout.from + 95 * layout.slotMs;
    const prev = last - layout.slotMs;
    const attempts = [
      attempt(prev - 4 * layout.slotMs), // an all-up slot
      attempt(prev + MIN),
      attempt(prev + 6 * MIN, 'timeout', 10_000),
      attempt(prev + 11 * MIN, null, 40), // prev: 2 of 3 up
      attempt(last + MIN, 'connection_refused', 1), // current slot: down, 5 minutes long so far
    ];
    const slots = buildSlots(layout, baseAggregates(attempts));
    expect(slots).toHaveLength(96);
    expect(slots.filter((s) => s.state === 'unknown')).toHaveLength(93);
    expect(slots[90]).toMatchObject({ state: 'up', attempts: 1, failures: 0, uptime: 1 });
    expect(slots[94]).toEqual({
      t: prev,
      state: 'degraded',
      attempts: 3,
      failures: 1,
      uptime: 2 / 3,
      avgResponseMs: 30,
      maxResponseMs: 40,
      worst: attempts[2],
    });
    expect(slots[95]).toMatchObject({
      t: last,
      state: 'down',
      uptime: 0,
      avgResponseMs: null,
      worst: attempts[4],
    });
    // Known: 15 + 15 + 5 minutes; up: 15 + 10 + 0.
    expect(uptimeOf(layout, slots)).toBeCloseTo(25 / 35, 12);
  });

  it('nothing known is null, not 100 %', () => {
    const layout = periodLayout('7d', Date.now());
    expect(uptimeOf(layout, buildSlots(layout, []))).toBeNull();
  });

  it('matches a brute-force reading of 60 days of random attempts, with gaps, for every period', () => {
    const now = Date.UTC(2026, 4, 20, 17, 3, 41);
    const attempts: Attempt[] = [];
    let t = now - 61 * DAY;
    while (t < now) {
      // Outages of the collector leave hours without attempts; they must stay unknown.
      if (Math.random() < 0.002) t += Math.floor(Math.random() * 12 * HOUR);
      const r = Math.random();
      attempts.push(
        attempt(
          t,
          r < 0.05 ? 'timeout' : r < 0.08 ? 'unexpected_status' : null,
          Math.floor(Math.random() * 900),
        ),
      );
      t += 4 * MIN + Math.floor(Math.random() * 2 * MIN);
    }
    const inPast = attempts.filter((a) => a.at <= now);
    const aggregates = baseAggregates(inPast);
    for (const period of PERIOD_NAMES) {
      const layout = periodLayout(period, now);
      const slots = buildSlots(layout, aggregates);
      // Brute force: the attempts of each slot picked one by one, and uptime summed minute by minute.
      let known = 0;
      let up = 0;
      for (let i = 0; i < layout.slots; i++) {
        const start = layout.from + i * layout.slotMs;
        const mine = inPast.filter((a) => a.at >= start && a.at < start + layout.slotMs);
        const failures = mine.filter((a) => a.failure !== null).length;
        const answered = mine.filter((a) => a.status !== null);
        expect(slots[i]).toMatchObject({
          t: start,
          attempts: mine.length,
          failures,
          state:
            mine.length === 0
              ? 'unknown'
              : failures === 0
                ? 'up'
                : failures === mine.length
                  ? 'down'
                  : 'degraded',
          maxResponseMs: answered.length ? Math.max(...answered.map((a) => a.responseMs)) : null,
          avgResponseMs: answered.length
            ? Math.round(answered.reduce((s, a) => s + a.responseMs, 0) / answered.length)
            : null,
        });
        if (mine.length === 0) continue;
        for (let m = start; m < Math.min(start + layout.slotMs, now); m += MIN) {
          const minute = Math.min(MIN, now - m);
          known += minute;
          up += (minute * (mine.length - failures)) / mine.length;
        }
      }
      expect(uptimeOf(layout, slots)).toBeCloseTo(up / known, 9);
    }
  });
});

describe('worseAttempt', () => {
  it('a failure over a success, the later failure, the slower success', () => {
    const okFast = attempt(1, null, 10);
    const okSlow = attempt(2, null, 90);
    const failEarly = attempt(3, 'timeout');
    const failLate = attempt(4, 'dns');
    expect(worseAttempt(okSlow, failEarly)).toBe(failEarly);
    expect(worseAttempt(failLate, failEarly)).toBe(failLate);
    expect(worseAttempt(okFast, okSlow)).toBe(okSlow);
    expect(worseAttempt(null, okFast)).toBe(okFast);
  });
});
