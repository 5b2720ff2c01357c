// The upstream row format (POST /api/log-request, PRODUCT.md §4) and the clean-up every
// value gets before it is sent in either format. Runs at flush time, never on the request
// path, and once per distinct string of a batch rather than once per request.
import { type BatchSlice, NULL_ID, type RecordBatch } from './batch.js';
import type { PrivacyLevel } from './types.js';

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

/** How a recorded string becomes the value sent: one function per kind of field. */
export type Clean = (raw: string | null) => string | null;

/** Optional text fields (route, hostname, user agent, user id): empty means absent. */
export const cleanText: Clean = (s) => (s === null || s === '' ? null : s);
/** Paths lose their query string; an empty path is `/`. */
export const cleanPath: Clean = (s) => (s === null ? '/' : stripQuery(s) || '/');
export const cleanMethod: Clean = (s) => (s === null ? '' : s.toUpperCase());
/** The first address of a forwarded list. */
export const cleanIp: Clean = (s) => (s === null ? null : firstAddress(s) || null);
/** Privacy level 2: the address is never sent, whatever was recorded. */
export const noIp: Clean = () => null;

/** Whole milliseconds, 0 for anything negative or not a number. */
export function wholeMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : 0;
}

/** An epoch-milliseconds timestamp as sent: whole milliseconds, now when it is not a number. */
export function wholeTime(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms) : Date.now();
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

/**
 * Each distinct string of a batch, cleaned for one kind of field and JSON-escaped, worked
 * out the first time a row refers to it.
 */
class EscapedColumn {
  private readonly cache: (string | undefined)[] = [];
  constructor(
    private readonly strings: readonly (string | null)[],
    private readonly clean: Clean,
  ) {}

  get(id: number): string {
    let text = this.cache[id];
    if (text === undefined) {
      const value = this.clean(this.strings[id] ?? null);
      text = value === null ? 'null' : JSON.stringify(value);
      this.cache[id] = text;
    }
    return text;
  }
}

/**
 * Writes rows of one batch in the upstream format: `{"hostname":…,"route":…}` objects
 * joined by commas, each string escaped once per batch however many rows repeat it.
 */
export class RowWriter {
  private readonly method: EscapedColumn;
  private readonly path: EscapedColumn;
  private readonly route: EscapedColumn;
  private readonly hostname: EscapedColumn;
  private readonly ipAddress: EscapedColumn;
  private readonly userAgent: EscapedColumn;
  private readonly userId: EscapedColumn;

  constructor(
    private readonly batch: RecordBatch,
    privacyLevel: PrivacyLevel,
  ) {
    const s = batch.strings;
    this.method = new EscapedColumn(s, cleanMethod);
    this.path = new EscapedColumn(s, cleanPath);
    this.route = new EscapedColumn(s, cleanText);
    this.hostname = new EscapedColumn(s, cleanText);
    this.ipAddress = new EscapedColumn(s, privacyLevel === 2 ? noIp : cleanIp);
    this.userAgent = new EscapedColumn(s, cleanText);
    this.userId = new EscapedColumn(s, cleanText);
  }

  /** Rows `from` to `to` (batch positions), comma-separated. */
  rows(from: number, to: number): string {
    const b = this.batch;
    const out = new Array<string>(to - from);
    for (let i = from; i < to; i++) {
      out[i - from] =
        `{"hostname":${this.hostname.get(b.hostname[i] ?? NULL_ID)},"ip_address":${this.ipAddress.get(b.ipAddress[i] ?? NULL_ID)},` +
        `"path":${this.path.get(b.path[i] ?? NULL_ID)},"user_agent":${this.userAgent.get(b.userAgent[i] ?? NULL_ID)},` +
        `"method":${this.method.get(b.method[i] ?? NULL_ID)},"status":${b.status[i]},"response_time":${wholeMs(b.responseTime[i] ?? 0)},` +
        `"user_id":${this.userId.get(b.userId[i] ?? NULL_ID)},"created_at":"${isoDate(wholeTime(b.createdAt[i] ?? Number.NaN))}",` +
        `"route":${this.route.get(b.route[i] ?? NULL_ID)}}`;
    }
    return out.join(',');
  }
}

/** The fields every body starts with, in both formats (left open: the caller adds the rest). */
export function envelope(apiKey: string, framework: string, privacyLevel: PrivacyLevel): string {
  return `{"api_key":${JSON.stringify(apiKey)},"framework":${JSON.stringify(framework)},"privacy_level":${privacyLevel}`;
}

/** A slice of a batch as the JSON body of POST /api/log-request, in one piece. */
export function rowsBody(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
): string {
  const rows = new RowWriter(slice.batch, privacyLevel).rows(slice.from, slice.to);
  return `${envelope(apiKey, framework, privacyLevel)},"requests":[${rows}]}`;
}
