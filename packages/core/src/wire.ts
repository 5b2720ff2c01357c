import type { PrivacyLevel, RequestRecord, WirePayload, WireRequest } from './types.js';

/** Removes the query string (and fragment) from a path. */
export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const cut = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return cut === -1 ? path : path.slice(0, cut);
}

/** First address of an `x-forwarded-for`-style list. */
function firstAddress(value: string): string {
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

function str(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = typeof value === 'string' ? value : String(value);
  return s === '' ? null : s;
}

/**
 * Converts one in-memory record into the wire shape. Runs at flush time, never
 * on the request path: every string clean-up and the ISO date happen here.
 */
export function toWire(r: RequestRecord, privacyLevel: PrivacyLevel): WireRequest {
  const responseTime = Number(r.responseTimeMs);
  const ms = Number.isFinite(responseTime) && responseTime > 0 ? Math.round(responseTime) : 0;
  let created: number;
  if (r.createdAt instanceof Date) created = r.createdAt.getTime();
  else if (typeof r.createdAt === 'number') created = r.createdAt;
  else created = Date.now() - ms;
  const ip = privacyLevel === 2 ? null : str(r.ipAddress);
  const userId = r.userId;
  return {
    hostname: str(r.hostname),
    ip_address: ip === null ? null : firstAddress(ip) || null,
    path: stripQuery(typeof r.path === 'string' ? r.path : String(r.path ?? '')) || '/',
    user_agent: str(r.userAgent),
    method: typeof r.method === 'string' ? r.method.toUpperCase() : String(r.method),
    status: Number(r.status),
    response_time: ms,
    user_id: userId === undefined || userId === null || userId === '' ? null : String(userId),
    created_at: isoDate(Number.isFinite(created) ? Math.round(created) : Date.now()),
    route: str(r.route),
  };
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()` with the `YYYY-MM-DDTHH:MM:SS` part cached per
 * second: records of a batch are mostly from the same few seconds.
 */
export function isoDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Years beyond 9999 or before 0 have a longer prefix; don't cache those.
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, 19);
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** Serialises a batch into the JSON body of POST /api/log-request. */
export function serialise(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  records: readonly RequestRecord[],
): string {
  // Measured: V8's JSON.stringify over plain objects beats hand-built strings here.
  return JSON.stringify(toPayload(apiKey, framework, privacyLevel, records));
}

/** The payload object of a batch, for callers that want it unserialised. */
export function toPayload(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  records: readonly RequestRecord[],
): WirePayload {
  const requests = new Array<WireRequest>(records.length);
  for (let i = 0; i < records.length; i++) requests[i] = toWire(records[i]!, privacyLevel);
  return { api_key: apiKey, framework, privacy_level: privacyLevel, requests };
}
