/**
 * Time zone arithmetic for the dashboard, from the IANA database that Node.js ships (Intl).
 *
 * The database engines never see a zone name: the engine hands them the zone's UTC offsets over
 * the period as a piecewise-constant function ({@link offsetPieces}), so DuckDB and PostgreSQL
 * compute local time from the same numbers, with no time zone extension and no tzdata of their
 * own that could disagree.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Added to local times before integer division so that every dividend is positive (the engines
 * truncate toward zero) — a whole number of weeks, so weekdays and hours are unchanged.
 */
export const BIAS = 7 * DAY;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/**
 * The canonical IANA name of a zone (`utc` → `UTC`, `europe/paris` → `Europe/Paris`), or
 * `undefined` when Node.js does not know it. Fixed offsets such as `+05:30` are refused: they
 * are not IANA zones and have no daylight saving rules.
 */
export function canonicalZone(tz: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz) || tz.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Offset from Intl itself (a few microseconds each): only used to find the offset changes. */
function intlOffset(tz: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(whole)) p[part.type] = part.value;
  const local = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return local - whole;
}

/** Offset of local time from UTC at instant `t` (ms), e.g. -4 h in New York in summer. */
export function offsetAt(tz: string, t: number): number {
  if (tz === 'UTC') return 0;
  const pieces = piecesOfYear(tz, new Date(t).getUTCFullYear());
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pieces[mid]!.from <= t) lo = mid;
    else hi = mid - 1;
  }
  return pieces[lo]!.offset;
}

/** Local wall-clock time of `t`, as epoch milliseconds of the same clock reading in UTC. */
export function localTime(tz: string, t: number): number {
  return t + offsetAt(tz, t);
}

/** One piece of a zone's offset function: `offset` holds from `from` until the next piece. */
export interface OffsetPiece {
  from: number;
  offset: number;
}

const yearPieces = new Map<string, OffsetPiece[]>();

/** Offset changes within one UTC calendar year, found by daily steps and a binary search. */
function piecesOfYear(tz: string, year: number): OffsetPiece[] {
  const cacheKey = `${tz}\u0000${year}`;
  const cached = yearPieces.get(cacheKey);
  if (cached) return cached;
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const pieces: OffsetPiece[] = [{ from: start, offset: intlOffset(tz, start) }];
  // Daily steps: no zone has changed its offset twice within a day.
  for (let t = start + DAY; t <= end; t += DAY) {
    const at = Math.min(t, end);
    const off = intlOffset(tz, at);
    const last = pieces[pieces.length - 1]!;
    if (off === last.offset) continue;
    let lo = at - DAY; // offset here is last.offset
    let hi = at; // offset here is off
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (intlOffset(tz, mid) === last.offset) lo = mid;
      else hi = mid;
    }
    if (hi < end) pieces.push({ from: hi, offset: off });
  }
  if (yearPieces.size > 10_000) yearPieces.clear();
  yearPieces.set(cacheKey, pieces);
  return pieces;
}

/**
 * The zone's offset over `[from, to)` as pieces: the first starts at `from`, each following
 * one where the offset changes. One piece for UTC and for zones without daylight saving.
 */
export function offsetPieces(tz: string, from: number, to: number): OffsetPiece[] {
  if (tz === 'UTC') return [{ from, offset: 0 }];
  const out: OffsetPiece[] = [{ from, offset: offsetAt(tz, from) }];
  const y0 = new Date(from).getUTCFullYear();
  const y1 = new Date(Math.max(from, to - 1)).getUTCFullYear();
  for (let y = y0; y <= y1; y++) {
    for (const p of piecesOfYear(tz, y)) {
      if (p.from <= from || p.from >= to) continue;
      if (p.offset !== out[out.length - 1]!.offset) out.push(p);
    }
  }
  return out;
}

/**
 * The first instant after `after` whose local time is at least `local`: the instant of that
 * wall-clock time, its first occurrence when clocks go back, or the end of the gap when
 * clocks go forward over it.
 */
export function firstInstantAtLocal(tz: string, local: number, after: number): number {
  const offsets = new Set([
    offsetAt(tz, local - 14 * HOUR),
    offsetAt(tz, local),
    offsetAt(tz, local + 14 * HOUR),
  ]);
  let best = Number.POSITIVE_INFINITY;
  for (const o of offsets) {
    const u = local - o;
    if (u > after && u < best && localTime(tz, u) === local) best = u;
  }
  if (best !== Number.POSITIVE_INFINITY) return best;
  // A gap (clocks went forward over `local`): local time is increasing around it, so search
  // for the first instant at or past it.
  let lo = Math.max(after, local - Math.max(...offsets)) - 1;
  let hi = local - Math.min(...offsets) + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localTime(tz, mid) >= local) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Bucket number of instant `t` for buckets `width` ms wide in local time (SQL computes the same). */
export function bucketKey(tz: string, t: number, width: number): number {
  return Math.floor((localTime(tz, t) + BIAS) / width);
}

/** Local start of bucket `key` (a wall-clock time as epoch ms). */
function bucketLocalStart(key: number, width: number): number {
  return key * width - BIAS;
}

/**
 * The buckets of `[from, to)`: spans of local wall-clock time `width` wide, aligned to local
 * midnight, each with the first instant of the period that falls in it. Where clocks go back,
 * the repeated local time belongs to the bucket it had the first time; where they go forward,
 * skipped local times have no bucket.
 */
export function periodBuckets(
  tz: string,
  from: number,
  to: number,
  width: number,
): Array<{ key: number; t: number }> {
  const out: Array<{ key: number; t: number }> = [];
  let u = from;
  while (u < to) {
    const key = bucketKey(tz, u, width);
    out.push({ key, t: u });
    u = firstInstantAtLocal(tz, bucketLocalStart(key + 1, width), u);
  }
  return out;
}

/** The first instant of the bucket after the one holding `t`. */
export function nextBucketStart(tz: string, t: number, width: number): number {
  return firstInstantAtLocal(tz, bucketLocalStart(bucketKey(tz, t, width) + 1, width), t);
}

/** The local calendar date of `t` as [year, month (1-12), day]. */
export function localDate(tz: string, t: number): [number, number, number] {
  const d = new Date(localTime(tz, t));
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** The first instant of a local calendar date (its midnight, or the end of a gap over it). */
export function startOfLocalDate(tz: string, year: number, month: number, day: number): number {
  const local = Date.UTC(year, month - 1, day);
  return firstInstantAtLocal(tz, local, local - 15 * HOUR);
}

/** `[year, month, day]` moved by whole calendar months, the day clamped to the month's end. */
export function addMonths(date: [number, number, number], months: number): [number, number, number] {
  const index = date[0] * 12 + (date[1] - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return [year, month, Math.min(date[2], last)];
}
