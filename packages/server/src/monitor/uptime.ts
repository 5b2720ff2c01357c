import type { Attempt, MonitoringPeriod, MonitorSlot, SlotState } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The slots of each period: ~60–100 bars, of a length that divides a day, so every slot starts
 * on a UTC boundary and a longer slot is a whole number of 15-minute base slots.
 */
export const PERIODS: Readonly<Record<MonitoringPeriod, { slotMs: number; slots: number }>> = {
  '24h': { slotMs: 15 * MINUTE, slots: 96 },
  '7d': { slotMs: 2 * HOUR, slots: 84 },
  '30d': { slotMs: 8 * HOUR, slots: 90 },
  '60d': { slotMs: 24 * HOUR, slots: 60 },
};

/** Names of the periods, shortest first. */
export const PERIOD_NAMES = Object.keys(PERIODS) as MonitoringPeriod[];

/** The store aggregates attempts per base slot; every period's slot is a whole number of them. */
export const BASE_SLOT_MS = 15 * MINUTE;

/** Where a period's slots lie at time `now`: the last slot is the one `now` falls in. */
export interface SlotLayout {
  /** Start of the first slot. */
  from: number;
  slotMs: number;
  slots: number;
  /** The end of what is known: `now`, inside the last slot. */
  now: number;
}

/**
 * The slots of `period` at `now`, aligned to multiples of the slot length since the epoch (UTC
 * midnights for whole days), the last one being the current, partial slot.
 */
export function periodLayout(period: MonitoringPeriod, now: number): SlotLayout {
  const { slotMs, slots } = PERIODS[period];
  const current = Math.floor(now / slotMs) * slotMs;
  return { from: current - (slots - 1) * slotMs, slotMs, slots, now };
}

/** One monitor's attempts in one base slot, summed up by the store. */
export interface SlotAggregate {
  /** Start of the base slot. */
  t: number;
  attempts: number;
  failures: number;
  /** Attempts that got an HTTP answer, and the sum and maximum of their response times. */
  answered: number;
  sumResponseMs: number;
  maxResponseMs: number | null;
  /** The slot's worst attempt (see {@link worseAttempt}). */
  worst: Attempt | null;
}

/**
 * Which of two attempts a slot's tooltip shows: a failure over a success, then the later
 * failure, or the slower success.
 */
export function worseAttempt(a: Attempt | null, b: Attempt | null): Attempt | null {
  if (!a) return b;
  if (!b) return a;
  const aFailed = a.failure !== null;
  if (aFailed !== (b.failure !== null)) return aFailed ? a : b;
  if (aFailed) return b.at > a.at ? b : a;
  if (a.responseMs !== b.responseMs) return b.responseMs > a.responseMs ? b : a;
  return b.at > a.at ? b : a;
}

function slotState(attempts: number, failures: number): SlotState {
  if (attempts === 0) return 'unknown';
  if (failures === 0) return 'up';
  return failures === attempts ? 'down' : 'degraded';
}

/**
 * A period's slots from one monitor's base-slot aggregates (any order; those outside the layout
 * are ignored). Every slot of the layout is present; one without attempts is `unknown`.
 */
export function buildSlots(layout: SlotLayout, aggregates: readonly SlotAggregate[]): MonitorSlot[] {
  const sums = Array.from({ length: layout.slots }, () => ({
    attempts: 0,
    failures: 0,
    answered: 0,
    sumResponseMs: 0,
    maxResponseMs: null as number | null,
    worst: null as Attempt | null,
  }));
  for (const a of aggregates) {
    const i = Math.floor((a.t - layout.from) / layout.slotMs);
    const s = sums[i];
    if (!s) continue;
    s.attempts += a.attempts;
    s.failures += a.failures;
    s.answered += a.answered;
    s.sumResponseMs += a.sumResponseMs;
    if (a.maxResponseMs !== null) s.maxResponseMs = Math.max(s.maxResponseMs ?? 0, a.maxResponseMs);
    s.worst = worseAttempt(s.worst, a.worst);
  }
  return sums.map((s, i) => ({
    t: layout.from + i * layout.slotMs,
    state: slotState(s.attempts, s.failures),
    attempts: s.attempts,
    failures: s.failures,
    uptime: s.attempts === 0 ? null : (s.attempts - s.failures) / s.attempts,
    avgResponseMs: s.answered === 0 ? null : Math.round(s.sumResponseMs / s.answered),
    maxResponseMs: s.answered === 0 ? null : s.maxResponseMs,
    worst: s.worst,
  }));
}

/**
 * Uptime over a period, weighted by time: each slot with attempts counts for its duration (the
 * current slot up to `now`), of which the share of up attempts is up time; a slot without
 * attempts is unknown and counts for nothing. Uptime = up time / known time; `null` when no slot
 * is known.
 *
 * @example
 * // Two full slots, one all up, one with 1 of 3 attempts failed: (1 + 2/3) / 2 = 0.8333…
 */
export function uptimeOf(layout: SlotLayout, slots: readonly MonitorSlot[]): number | null {
  let known = 0;
  let up = 0;
  for (const s of slots) {
    if (s.attempts === 0) continue;
    const weight = Math.max(0, Math.min(s.t + layout.slotMs, layout.now) - s.t);
    known += weight;
    up += (weight * (s.attempts - s.failures)) / s.attempts;
  }
  return known === 0 ? null : up / known;
}
