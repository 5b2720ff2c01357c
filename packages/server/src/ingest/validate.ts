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

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses the timestamps upstream clients send, to epoch milliseconds:
 * JS `toISOString()` (`…T10:00:00.000Z`), Python `datetime.isoformat()` without a zone
 * (`…T10:00:00.123456`, taken as UTC) or with one (`+00:00`), Go RFC 3339 with nanoseconds
 * and offsets. Returns `undefined` when the string is not such a timestamp or names no real time.
 */
export function parseTimestamp(value: string): number | undefined {
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let t = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), ms);
  // Date.UTC rolls 31 February over into March: such a date is not a real one.
  if (new Date(t).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return undefined;
    t -= sign * (oh * 60 + om) * 60_000;
  }
  return t;
}

/**
 * Truncates to 255 UTF-16 code units without splitting a surrogate pair, and replaces NUL
 * characters (PostgreSQL text cannot hold them). Nothing else is altered.
 */
export function clean(value: string): string {
  let s = value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (s.length === MAX_STRING) {
    const last = s.charCodeAt(MAX_STRING - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, MAX_STRING - 1);
  }
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

/** The fields of one wire row after validation, before enrichment. */
export interface ValidRow {
  hostname: string | null;
  ipAddress: string | null;
  path: string;
  route: string | null;
  userAgent: string | null;
  method: string;
  status: number;
  responseTime: number;
  userId: string | null;
  createdAt: number;
}

type Result = { ok: true; row: ValidRow } | { ok: false; error: string };

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
      error: `unknown method ${JSON.stringify(clean(rawMethod))}; expected one of ${[...METHODS].join(', ')}`,
    };
  }

  const status = r.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return {
      ok: false,
      error: `status must be an integer from 100 to 599, got ${JSON.stringify(status) ?? 'nothing'}`,
    };
  }

  const rt = r.response_time;
  if (typeof rt !== 'number' || !Number.isFinite(rt) || rt < 0) {
    return {
      ok: false,
      error: `response_time must be a non-negative number of milliseconds, got ${JSON.stringify(rt) ?? 'nothing'}`,
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
        error: `created_at ${JSON.stringify(clean(c))} is not an ISO 8601 timestamp such as "2026-11-27T10:00:00.000Z"`,
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
  const ipAddress = optionalString(r.ip_address, 'ip_address');
  if (ipAddress instanceof Error) return { ok: false, error: ipAddress.message };
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
      userId,
      createdAt,
    },
  };
}
