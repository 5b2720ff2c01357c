import { isIP } from 'node:net';
import { preview } from '../errors.js';
import type { NewRequestRow } from '../types.js';
/** Longest stored string, as upstream: longer values are truncated, not rejected. */
export const MAX_STRING = 255;

/** HTTP methods accepted on the wire (upper-cased first). */
export const METHODS: ReadonlySet<string> = new Set([
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'CONNECT',
  'TRACE',
]);

/** Accepted created_at range: 1970-01-01 to 9999-12-31 (UTC). */
const MAX_TIME = 253_402_300_799_999;

/** Largest response time kept (ms, int32); a longer one is clamped, as upstream clamps. */
const MAX_RESPONSE_TIME = 2_147_483_647;

/** 400 years in milliseconds: the Gregorian calendar repeats after 146 097 days. */
const GREGORIAN_CYCLE = 146_097 * 86_400_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Value of `len` ASCII digits at `at`, or -1. Hand-rolled: this runs once per ingested row. */
function num(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Parses the timestamps upstream clients send, to epoch milliseconds:
 * JS `toISOString()` (`…T10:00:00.000Z`), Python `datetime.isoformat()` without a zone
 * (`…T10:00:00.123456`, taken as UTC) or with one (`+00:00`), Go RFC 3339 with nanoseconds
 * and offsets. Returns `undefined` when the string is not such a timestamp or names no real time.
 */
export function parseTimestamp(s: string): number | undefined {
  const n = s.length;
  if (n < 16 || n > 40) return undefined;
  const year = num(s, 0, 4);
  const month = num(s, 5, 2);
  const day = num(s, 8, 2);
  const hour = num(s, 11, 2);
  const minute = num(s, 14, 2);
  const sep = s.charCodeAt(10);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (sep !== 84 && sep !== 116 && sep !== 32) ||
    s.charCodeAt(13) !== 58
  ) {
    return undefined;
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (i < n && s.charCodeAt(i) === 58) {
    second = num(s, i + 1, 2);
    if (second < 0 || second > 60) return undefined;
    i += 3;
    const c = s.charCodeAt(i);
    if (i < n && (c === 46 || c === 44)) {
      i++;
      const from = i;
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      if (i === from) return undefined;
      // Milliseconds: the first three fraction digits (microseconds and nanoseconds are cut).
      for (let k = 0; k < 3; k++) ms = ms * 10 + (from + k < i ? s.charCodeAt(from + k) - 48 : 0);
    }
  }
  let t = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), ms);
  // Date.UTC reads years 0–99 as 1900–1999 ("0070" would become 1970): count them 400 years
  // later (one Gregorian cycle, a whole number of days) and back, so they stay out of range.
  if (year < 100)
    t = Date.UTC(year + 400, month - 1, day, hour, minute, Math.min(second, 59), ms) - GREGORIAN_CYCLE;
  if (i === n) return t;
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === n) return t; // Z
  if (z !== 43 && z !== 45) return undefined; // + or -
  const oh = num(s, i + 1, 2);
  let rest = i + 3;
  if (rest < n && s.charCodeAt(rest) === 58) rest++;
  const om = rest === n ? 0 : num(s, rest, 2);
  if (oh < 0 || oh > 23 || om < 0 || om > 59 || (rest !== n && rest + 2 !== n)) return undefined;
  t -= (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  return t;
}

/** ES2024 string methods: Node.js 20 has them, the ES2022 library this package compiles against does not type them. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Truncates to 255 UTF-16 code units without splitting a surrogate pair, and replaces NUL
 * characters (PostgreSQL text cannot hold them) and lone surrogates (no UTF-8 database can:
 * DuckDB and PostgreSQL's driver store U+FFFD for them, so the stored string would differ from
 * the one ingest holds, and two distinct user agents would become one) with U+FFFD. Nothing else
 * is altered.
 */
export function clean(value: string): string {
  let s = value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (s.length === MAX_STRING) {
    const last = s.charCodeAt(MAX_STRING - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, MAX_STRING - 1);
  }
  if (!(s as unknown as WellFormed).isWellFormed()) s = (s as unknown as WellFormed).toWellFormed();
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

/**
 * A valid row: every field of the stored row, `location` and `framework` still `null` for ingest
 * to fill in place (the country from the IP, the batch's framework). One object per row, in its
 * final shape from the start: copying it into another (a spread) was several µs per row.
 */
type Result = { ok: true; row: NewRequestRow } | { ok: false; error: string };

function optionalString(v: unknown, field: string): string | null | Error {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return new Error(`${field} must be a string or null, got ${typeof v}`);
  return v === '' ? null : clean(v);
}

/**
 * Validates one row of `requests`. Unknown extra fields are ignored. A rejected row
 * gets a reason that names the field and what would be accepted.
 */
export function validateRow(raw: unknown, now: number): Result {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: 'row must be a JSON object' };
  }
  const r = raw as Record<string, unknown>;

  const rawMethod = r.method;
  if (typeof rawMethod !== 'string') return { ok: false, error: 'method must be a string such as "GET"' };
  const method = rawMethod.toUpperCase();
  if (!METHODS.has(method)) {
    return {
      ok: false,
      error: `unknown method ${preview(rawMethod)}; expected one of ${[...METHODS].join(', ')}`,
    };
  }

  const status = r.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return {
      ok: false,
      error: `status must be an integer from 100 to 599, got ${preview(status)}`,
    };
  }

  const rt = r.response_time;
  if (typeof rt !== 'number' || !Number.isFinite(rt) || rt < 0) {
    return {
      ok: false,
      error: `response_time must be a non-negative number of milliseconds, got ${preview(rt)}`,
    };
  }

  let createdAt: number;
  const c = r.created_at;
  if (c === undefined || c === null) createdAt = now;
  else if (typeof c === 'string') {
    const t = parseTimestamp(c);
    if (t === undefined) {
      return {
        ok: false,
        error: `created_at ${preview(c)} is not an ISO 8601 timestamp such as "2026-11-27T10:00:00.000Z"`,
      };
    }
    createdAt = t;
  } else if (typeof c === 'number' && Number.isFinite(c)) createdAt = Math.round(c);
  else return { ok: false, error: 'created_at must be an ISO 8601 string' };
  if (createdAt < 0 || createdAt > MAX_TIME) {
    return { ok: false, error: 'created_at must be between 1970-01-01 and 9999-12-31' };
  }

  const path = r.path;
  if (typeof path !== 'string') return { ok: false, error: 'path must be a string' };

  const hostname = optionalString(r.hostname, 'hostname');
  if (hostname instanceof Error) return { ok: false, error: hostname.message };
  let ipAddress = optionalString(r.ip_address, 'ip_address');
  if (ipAddress instanceof Error) return { ok: false, error: ipAddress.message };
  // Not an address: stored as unknown (a bad optional field never costs the row), never located.
  if (ipAddress !== null && isIP(ipAddress) === 0) ipAddress = null;
  const userAgent = optionalString(r.user_agent, 'user_agent');
  if (userAgent instanceof Error) return { ok: false, error: userAgent.message };
  const route = optionalString(r.route, 'route');
  if (route instanceof Error) return { ok: false, error: route.message };

  // Python and Go clients may send a numeric user id.
  let userId: string | null;
  const u = r.user_id;
  if (u === undefined || u === null || u === '') userId = null;
  else if (typeof u === 'string') userId = clean(u);
  else if (typeof u === 'number' && Number.isFinite(u)) userId = String(u);
  else return { ok: false, error: 'user_id must be a string, a number or null' };

  return {
    ok: true,
    row: {
      hostname,
      ipAddress,
      path: clean(path),
      route,
      userAgent,
      method,
      status,
      responseTime: Math.min(Math.round(rt), MAX_RESPONSE_TIME),
      location: null,
      userId,
      framework: null,
      createdAt,
    },
  };
}
