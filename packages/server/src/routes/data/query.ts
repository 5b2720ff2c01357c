import { isIP } from 'node:net';
import { HttpError, preview } from '../../errors.js';
import { METHODS } from '../../ingest/validate.js';
import type { RowFilter } from '../../types.js';
import type { FormatName } from './writers.js';

/** Query parameters and their aliases (upstream spellings first). */
const PARAMS: Record<string, string> = {
  page: 'page',
  date: 'date',
  dateFrom: 'dateFrom',
  dateTo: 'dateTo',
  hostname: 'hostname',
  ipAddress: 'ipAddress',
  ip: 'ipAddress',
  status: 'status',
  location: 'location',
  user_id: 'userId',
  userId: 'userId',
  userID: 'userId',
  method: 'method',
  route: 'route',
  format: 'format',
  compact: 'compact',
};

const DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The data API's query, parsed once. */
export interface DataQuery {
  filter: RowFilter;
  /** 1-based page of `DEFAULTS.pageSize` rows; `undefined` when not given. */
  page: number | undefined;
  /** `compact` is `format=json&compact=true` (compact applies to JSON only). */
  format: FormatName;
}

function bad(name: string, expected: string, got: string): HttpError {
  return new HttpError(400, `parameter "${name}" must be ${expected}, got ${preview(got)}`);
}

function parseDay(name: string, value: string): number {
  const m = DATE.exec(value);
  // From 1970, as stored times: Date.UTC would read "0070" as 1970, a year never reinterpreted.
  if (m && Number(m[1]) >= 1970) {
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(t).getUTCDate() === Number(m[3]) && Number(m[2]) >= 1 && Number(m[2]) <= 12) return t;
  }
  throw bad(name, 'a date YYYY-MM-DD (UTC) from 1970-01-01', value);
}

/** Parses and validates the data API's query; a malformed or unknown parameter is a 400 naming it. */
export function parseDataQuery(query: Record<string, unknown>): DataQuery {
  const v: Record<string, string> = {};
  const given: Record<string, string> = {};
  for (const [name, raw] of Object.entries(query)) {
    const canonical = Object.hasOwn(PARAMS, name) ? PARAMS[name] : undefined;
    if (!canonical) {
      throw new HttpError(
        400,
        `unknown parameter ${preview(name)}; the data API takes ${Object.keys(PARAMS).join(', ')}`,
      );
    }
    if (Array.isArray(raw))
      throw new HttpError(400, `parameter "${name}" is given more than once; give it once`);
    const value = String(raw);
    if (value === '') continue;
    if (given[canonical] !== undefined && v[canonical] !== value) {
      throw new HttpError(400, `parameters "${given[canonical]}" and "${name}" disagree; give one of them`);
    }
    given[canonical] = name;
    v[canonical] = value;
  }

  const filter: RowFilter = {};
  let page: number | undefined;
  if (v.page !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(v.page)) throw bad('page', 'a whole number from 1', v.page);
    page = Number(v.page);
  }
  const from: number[] = [];
  const to: number[] = [];
  if (v.date !== undefined) {
    const d = parseDay(given.date!, v.date);
    from.push(d);
    to.push(d + DAY);
  }
  if (v.dateFrom !== undefined) from.push(parseDay('dateFrom', v.dateFrom));
  if (v.dateTo !== undefined) to.push(parseDay('dateTo', v.dateTo) + DAY);
  if (from.length) filter.from = Math.max(...from);
  if (to.length) filter.to = Math.min(...to);
  if (
    v.dateFrom !== undefined &&
    v.dateTo !== undefined &&
    parseDay('dateFrom', v.dateFrom) > parseDay('dateTo', v.dateTo)
  ) {
    throw new HttpError(400, `parameter "dateFrom" (${v.dateFrom}) is after "dateTo" (${v.dateTo})`);
  }
  if (v.hostname !== undefined) filter.hostname = v.hostname;
  if (v.ipAddress !== undefined) {
    if (!isIP(v.ipAddress)) throw bad(given.ipAddress!, 'an IPv4 or IPv6 address', v.ipAddress);
    filter.ipAddress = v.ipAddress;
  }
  if (v.status !== undefined) {
    const s = Number(v.status);
    if (!/^\d{3}$/.test(v.status) || s < 100 || s > 599)
      throw bad('status', 'an HTTP status from 100 to 599', v.status);
    filter.status = s;
  }
  if (v.location !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(v.location))
      throw bad('location', 'a two-letter country code such as US', v.location);
    filter.location = v.location.toUpperCase();
  }
  if (v.userId !== undefined) filter.userId = v.userId;
  if (v.method !== undefined) {
    const m = v.method.toUpperCase();
    if (!METHODS.has(m)) throw bad('method', `one of ${[...METHODS].join(', ')}`, v.method);
    filter.method = m;
  }
  if (v.route !== undefined) filter.route = v.route;
  let format: FormatName = 'json';
  if (v.format !== undefined) {
    if (v.format !== 'json' && v.format !== 'csv' && v.format !== 'ndjson') {
      throw bad('format', 'json, csv or ndjson', v.format);
    }
    format = v.format;
  }
  if (v.compact !== undefined) {
    if (v.compact !== 'true' && v.compact !== 'false') throw bad('compact', 'true or false', v.compact);
    if (v.compact === 'true' && format === 'json') format = 'compact';
  }
  return { filter, page, format };
}
