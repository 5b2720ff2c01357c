import { HttpError, preview } from '../errors.js';
import { METHODS } from '../ingest/validate.js';
import {
  addMonths,
  canonicalZone,
  DAY,
  firstInstantAtLocal,
  localDate,
  nextBucketStart,
  startOfLocalDate,
} from './time-zone.js';
import type { BucketName, DashboardFilters, PeriodName, StatusClass } from './types.js';

/** Period names a request may give (`custom` is implied by `from`/`to`). */
const PERIODS = ['24h', '7d', '30d', '6m', '1y', 'all', 'custom'] as const;
const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Every parameter of the dashboard API, with what it takes (for error messages). */
const PARAMS: Record<string, string> = {
  period: `one of ${PERIODS.join(', ')}`,
  from: 'a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS[.mmm]] with an optional Z or ±HH:MM',
  to: 'a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS[.mmm]] with an optional Z or ±HH:MM',
  tz: 'an IANA time zone such as UTC, Europe/Paris or America/New_York',
  hostname: 'a hostname',
  method: `an HTTP method (${[...METHODS].join(', ')})`,
  endpoint: 'a route template or path',
  status: 'an HTTP status from 100 to 599',
  statusClass: STATUS_CLASSES.join(', '),
  country: 'a two-letter country code such as US, or unknown',
  browser: 'a browser name',
  os: 'an operating system name',
  device: 'a device type',
  user: 'a user id or an IP address',
  version: 'an API version path segment such as v1',
  exclude404: 'true or false',
  excludeBots: 'true or false',
  hide: 'an endpoint pattern, * matching any characters (repeatable)',
};

/** Longest custom period, and the most that `all` reaches back: about 10 years of daily buckets. */
export const MAX_PERIOD_MONTHS = 120;
/** At most this many `hide` patterns. */
const MAX_HIDE = 100;
/** Longest filter value: stored strings are at most 255 characters, so longer ones match nothing. */
const MAX_VALUE = 1000;

const BUCKETS: Record<BucketName, number> = {
  '5m': 5 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '1d': DAY,
};

/** Width of a bucket in milliseconds. */
export function bucketWidth(bucket: BucketName): number {
  return BUCKETS[bucket];
}

/** A parsed `from`/`to`: a local calendar date, a local wall-clock time, or an instant. */
type TimeSpec =
  | { kind: 'date'; date: [number, number, number] }
  | { kind: 'local'; local: number }
  | { kind: 'instant'; t: number };

/** The dashboard request as parsed and validated: what to compute, before resolving times. */
export interface DashboardRequest {
  period: PeriodName;
  tz: string;
  filters: DashboardFilters;
  from?: TimeSpec;
  to?: TimeSpec;
}

/** The period resolved against the clock and the key's data. */
export interface ResolvedPeriod {
  period: PeriodName;
  from: number;
  to: number;
  previousFrom: number | null;
  bucket: BucketName;
}

function bad(name: string, got: string): HttpError {
  return new HttpError(400, `parameter "${name}" must be ${PARAMS[name]}, got ${preview(got)}`);
}

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function parseTime(name: string, value: string): TimeSpec {
  const m = TIME.exec(value);
  if (!m) throw bad(name, value);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = Date.UTC(y, mo - 1, d);
  if (mo < 1 || mo > 12 || new Date(day).getUTCDate() !== d || y < 1970) throw bad(name, value);
  if (m[4] === undefined) return { kind: 'date', date: [y, mo, d] };
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) throw bad(name, value);
  const local = day + h * 3_600_000 + mi * 60_000 + s * 1000 + Number((m[7] ?? '0').padEnd(3, '0'));
  const zone = m[8];
  if (zone === undefined) return { kind: 'local', local };
  if (zone === 'Z') return { kind: 'instant', t: local };
  const sign = zone[0] === '-' ? -1 : 1;
  const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  if (oh > 23 || om > 59) throw bad(name, value);
  return { kind: 'instant', t: local - sign * (oh * 3_600_000 + om * 60_000) };
}

function parseBool(name: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw bad(name, value);
}

/**
 * Parses the dashboard API's query string. An unknown parameter, a malformed value, a parameter
 * given twice (other than `hide`) or two that contradict each other is a 400 naming it. Empty
 * values count as not given. `extra` names further parameters the caller handles (e.g. `format`).
 */
export function parseDashboardQuery(
  query: Record<string, unknown>,
  extra: readonly string[] = [],
): DashboardRequest {
  const v: Record<string, string> = {};
  const hide: string[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (extra.includes(name)) continue;
    if (!Object.hasOwn(PARAMS, name)) {
      throw new HttpError(
        400,
        `unknown parameter ${preview(name)}; the dashboard API takes ${[...Object.keys(PARAMS), ...extra].join(', ')}`,
      );
    }
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    if (name === 'hide') {
      for (const h of values) if (h !== '') hide.push(h);
      continue;
    }
    if (values.length > 1)
      throw new HttpError(400, `parameter "${name}" is given more than once; give it once`);
    if (values[0] !== '') v[name] = values[0]!;
  }
  for (const [name, value] of Object.entries(v)) {
    if (value.length > MAX_VALUE)
      throw new HttpError(400, `parameter "${name}" is longer than ${MAX_VALUE} characters`);
  }

  let tz = 'UTC';
  if (v.tz !== undefined) {
    const zone = canonicalZone(v.tz);
    if (!zone) throw bad('tz', v.tz);
    tz = zone;
  }

  let period: PeriodName = '7d';
  if (v.period !== undefined) {
    if (!(PERIODS as readonly string[]).includes(v.period)) throw bad('period', v.period);
    period = v.period as PeriodName;
  }
  const request: DashboardRequest = { period, tz, filters: {} };
  if (v.from !== undefined || v.to !== undefined) {
    if (v.period !== undefined && v.period !== 'custom') {
      throw new HttpError(
        400,
        `parameters "period" (${v.period}) and "from"/"to" disagree; give a period or a custom from/to`,
      );
    }
    if (v.from === undefined || v.to === undefined) {
      throw new HttpError(
        400,
        `a custom period needs both "from" and "to"; "${v.from === undefined ? 'from' : 'to'}" is missing`,
      );
    }
    request.period = 'custom';
    request.from = parseTime('from', v.from);
    request.to = parseTime('to', v.to);
  } else if (period === 'custom') {
    throw new HttpError(400, 'parameter "period" is custom but "from" and "to" are missing; give both');
  }

  const f = request.filters;
  if (v.hostname !== undefined) f.hostname = v.hostname;
  if (v.method !== undefined) {
    const m = v.method.toUpperCase();
    if (!METHODS.has(m)) throw bad('method', v.method);
    f.method = m;
  }
  if (v.endpoint !== undefined) f.endpoint = v.endpoint;
  if (v.status !== undefined && v.statusClass !== undefined) {
    throw new HttpError(
      400,
      'parameters "status" and "statusClass" both filter the status; give one of them',
    );
  }
  if (v.status !== undefined) {
    const s = Number(v.status);
    if (!/^\d{3}$/.test(v.status) || s < 100 || s > 599) throw bad('status', v.status);
    f.status = s;
  }
  if (v.statusClass !== undefined) {
    if (!(STATUS_CLASSES as readonly string[]).includes(v.statusClass))
      throw bad('statusClass', v.statusClass);
    f.statusClass = v.statusClass as StatusClass;
  }
  if (v.country !== undefined) {
    if (v.country.toLowerCase() === 'unknown') f.country = 'unknown';
    else if (/^[A-Za-z]{2}$/.test(v.country)) f.country = v.country.toUpperCase();
    else throw bad('country', v.country);
  }
  if (v.browser !== undefined) f.browser = v.browser;
  if (v.os !== undefined) f.os = v.os;
  if (v.device !== undefined) f.device = v.device;
  if (v.user !== undefined) f.user = v.user;
  if (v.version !== undefined) {
    if (!/^v\d{1,9}$/.test(v.version)) throw bad('version', v.version);
    f.version = v.version;
  }
  if (v.exclude404 !== undefined && parseBool('exclude404', v.exclude404)) f.exclude404 = true;
  if (v.excludeBots !== undefined && parseBool('excludeBots', v.excludeBots)) f.excludeBots = true;
  if (hide.length > 0) {
    if (hide.length > MAX_HIDE)
      throw new HttpError(400, `parameter "hide" is given ${hide.length} times; at most ${MAX_HIDE}`);
    for (const h of hide) {
      if (h.length > MAX_VALUE)
        throw new HttpError(400, `a "hide" pattern is longer than ${MAX_VALUE} characters`);
    }
    f.hide = [...new Set(hide)];
  }
  return request;
}

/** Timeline bucket for a period of this length: 5 min up to a day, 1 h up to a week, 6 h up to a month. */
function bucketFor(length: number): BucketName {
  // An hour of slack: a day across a daylight saving change lasts 25 hours.
  if (length <= DAY + 3_600_000) return '5m';
  if (length <= 7 * DAY + 3_600_000) return '1h';
  if (length <= 31 * DAY + 3_600_000) return '6h';
  return '1d';
}

function instantOf(spec: TimeSpec, tz: string, end: boolean): number {
  if (spec.kind === 'instant') return spec.t;
  // A wall-clock time skipped by a daylight saving change means the end of the gap.
  if (spec.kind === 'local') return firstInstantAtLocal(tz, spec.local, spec.local - 15 * 3_600_000);
  // A date `to` includes that whole day: the period ends at the next local midnight.
  const date = end ? addDays(spec.date, 1) : spec.date;
  return startOfLocalDate(tz, ...date);
}

function addDays(date: [number, number, number], days: number): [number, number, number] {
  const d = new Date(Date.UTC(date[0], date[1] - 1, date[2] + days));
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/**
 * The period of a request at `now`: named periods end at the end of the bucket holding `now`
 * (24 h, 7 d, 30 d: that many days before it; 6 m, 1 y: calendar months back from the end of
 * today, in `tz`); `all` runs from the day of the key's first request to the end of today,
 * at most {@link MAX_PERIOD_MONTHS} months. The previous period has the same length and ends
 * where this one starts.
 */
export function resolvePeriod(
  request: DashboardRequest,
  now: number,
  firstSeen: number | null,
): ResolvedPeriod {
  const { tz } = request;
  const endOfToday = nextBucketStart(tz, now, DAY);
  const withPrevious = (
    period: PeriodName,
    from: number,
    to: number,
    bucket: BucketName,
  ): ResolvedPeriod => ({
    period,
    from,
    to,
    previousFrom: from - (to - from),
    bucket,
  });
  switch (request.period) {
    case '24h': {
      const to = nextBucketStart(tz, now, BUCKETS['5m']);
      return withPrevious('24h', to - DAY, to, '5m');
    }
    case '7d': {
      const to = nextBucketStart(tz, now, BUCKETS['1h']);
      return withPrevious('7d', to - 7 * DAY, to, '1h');
    }
    case '30d': {
      const to = nextBucketStart(tz, now, BUCKETS['6h']);
      return withPrevious('30d', to - 30 * DAY, to, '6h');
    }
    case '6m':
    case '1y': {
      const months = request.period === '6m' ? 6 : 12;
      const from = startOfLocalDate(tz, ...addMonths(localDate(tz, endOfToday), -months));
      return withPrevious(request.period, from, endOfToday, '1d');
    }
    case 'all': {
      const earliest = startOfLocalDate(tz, ...addMonths(localDate(tz, endOfToday), -MAX_PERIOD_MONTHS));
      const first = firstSeen === null ? now : Math.min(firstSeen, now);
      const from = Math.max(earliest, startOfLocalDate(tz, ...localDate(tz, first)));
      return {
        period: 'all',
        from,
        to: endOfToday,
        previousFrom: null,
        bucket: bucketFor(endOfToday - from),
      };
    }
    default: {
      const from = instantOf(request.from!, tz, false);
      const to = instantOf(request.to!, tz, true);
      if (from >= to) {
        throw new HttpError(400, `parameter "from" must be before "to" (the period would be empty)`);
      }
      const longest = startOfLocalDate(tz, ...addMonths(localDate(tz, to), -MAX_PERIOD_MONTHS));
      if (from < longest) {
        throw new HttpError(
          400,
          `the custom period is longer than ${MAX_PERIOD_MONTHS / 12} years; choose a shorter one`,
        );
      }
      return withPrevious('custom', from, to, bucketFor(to - from));
    }
  }
}
