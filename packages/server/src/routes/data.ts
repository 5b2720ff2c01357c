import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, storeFailure } from '../errors.js';
import { METHODS } from '../ingest/validate.js';
import { headerApiKey } from '../keys.js';
import { DEFAULTS } from '../options.js';
import type { RowFilter, StoredRow } from '../types.js';
import type { AppContext } from './context.js';

/** Output columns, in order (JSON keys, CSV header, compact header). */
export const COLUMNS = [
  'hostname',
  'ip_address',
  'path',
  'route',
  'user_agent',
  'browser',
  'os',
  'device',
  'method',
  'status',
  'response_time',
  'location',
  'user_id',
  'framework',
  'created_at',
] as const;

type Format = 'json' | 'csv' | 'ndjson';

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
/** Rows fetched per keyset step of a streamed export: bounds memory whatever the export size. */
const STREAM_CHUNK = 1000;

export interface DataQuery {
  filter: RowFilter;
  page: number | undefined;
  format: Format;
  compact: boolean;
}

function bad(name: string, expected: string, got: string): HttpError {
  return new HttpError(
    400,
    `parameter "${name}" must be ${expected}, got ${JSON.stringify(got.slice(0, 100))}`,
  );
}

function parseDay(name: string, value: string): number {
  const m = DATE.exec(value);
  if (m) {
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(t).getUTCDate() === Number(m[3]) && Number(m[2]) >= 1 && Number(m[2]) <= 12) return t;
  }
  throw bad(name, 'a date YYYY-MM-DD (UTC)', value);
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
        `unknown parameter "${name.slice(0, 100)}"; the data API takes ${Object.keys(PARAMS).join(', ')}`,
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
  let format: Format = 'json';
  if (v.format !== undefined) {
    if (v.format !== 'json' && v.format !== 'csv' && v.format !== 'ndjson') {
      throw bad('format', 'json, csv or ndjson', v.format);
    }
    format = v.format;
  }
  let compact = false;
  if (v.compact !== undefined) {
    if (v.compact !== 'true' && v.compact !== 'false') throw bad('compact', 'true or false', v.compact);
    compact = v.compact === 'true';
  }
  return { filter, page, format, compact };
}

/** A stored row in the output shape: `created_at` as an ISO 8601 UTC string. */
export function outputRow(r: StoredRow): Record<(typeof COLUMNS)[number], unknown> {
  return {
    hostname: r.hostname,
    ip_address: r.ip_address,
    path: r.path,
    route: r.route,
    user_agent: r.user_agent,
    browser: r.browser,
    os: r.os,
    device: r.device,
    method: r.method,
    status: r.status,
    response_time: r.response_time,
    location: r.location,
    user_id: r.user_id,
    framework: r.framework,
    created_at: new Date(r.created_at).toISOString(),
  };
}

const jstr = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));

/**
 * One row as JSON text, keys in COLUMNS order: the same text JSON.stringify(outputRow(r)) gives,
 * built directly (a 50 000-row page spent most of its serialisation walking generic objects).
 */
export function jsonRow(r: StoredRow): string {
  return `{"hostname":${jstr(r.hostname)},"ip_address":${jstr(r.ip_address)},"path":${jstr(r.path)},"route":${jstr(r.route)},"user_agent":${jstr(r.user_agent)},"browser":${jstr(r.browser)},"os":${jstr(r.os)},"device":${jstr(r.device)},"method":${jstr(r.method)},"status":${r.status},"response_time":${r.response_time},"location":${jstr(r.location)},"user_id":${jstr(r.user_id)},"framework":${jstr(r.framework)},"created_at":"${new Date(r.created_at).toISOString()}"}`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csvLine(r: StoredRow): string {
  const o = outputRow(r);
  let line = '';
  for (let i = 0; i < COLUMNS.length; i++) line += (i ? ',' : '') + csvField(o[COLUMNS[i]!]);
  return `${line}\r\n`;
}

/** GET /api/data */
export function registerData(app: FastifyInstance, ctx: AppContext): void {
  const pageSize = DEFAULTS.pageSize;

  app.get('/api/data', {
    config: { rateLimit: ctx.keyRateLimit((req) => headerApiKey(req)) },
    handler: async (request: FastifyRequest, reply) => {
      const apiKey = headerApiKey(request);
      if (!apiKey) throw new HttpError(401, 'missing API key; send it in the X-AUTH-TOKEN header');
      const q = parseDataQuery(request.query as Record<string, unknown>);
      const key = await ctx.findKey(apiKey);
      if (!key) throw ctx.unknownKey();
      await ctx.touch(key.id);
      const store = ctx.store;
      const read = async (query: Parameters<typeof store.queryRequests>[1]) => {
        try {
          return await store.queryRequests(key.id, query);
        } catch (err) {
          throw storeFailure(err);
        }
      };

      // Every format streams in keyset chunks of STREAM_CHUNK rows: memory stays flat and
      // each chunk's garbage dies young (a 50 000-row page built whole spent 40% of its time in
      // GC). JSON is one page (default 1), as upstream; CSV and NDJSON are every matching row
      // unless a page is asked for.
      const paged = q.format === 'json' || q.page !== undefined;
      const limit = paged ? pageSize : Number.POSITIVE_INFINITY;
      const skip = paged ? ((q.page ?? 1) - 1) * pageSize : 0;
      const fetch = (sent: number, after?: { createdAt: number; id: number }) =>
        read({
          ...q.filter,
          limit: Math.min(STREAM_CHUNK, limit - sent),
          ...(after ? { after } : { offset: skip }),
        });
      // The first chunk is read before answering, so a database failure is still a clean 503.
      const firstRows = await fetch(0);

      let head: string;
      let line: (r: StoredRow) => string;
      let sep = '';
      let tail = '';
      if (q.format === 'csv') {
        head = `${COLUMNS.join(',')}\r\n`;
        line = csvLine;
      } else if (q.format === 'ndjson') {
        head = '';
        line = (r) => `${jsonRow(r)}\n`;
      } else if (q.compact) {
        head = `[${JSON.stringify(COLUMNS)}`;
        line = (r) => `,${JSON.stringify(COLUMNS.map((c) => outputRow(r)[c]))}`;
        tail = ']';
      } else {
        head = '[';
        line = jsonRow;
        sep = ',';
        tail = ']';
      }

      async function* chunks() {
        let rows = firstRows;
        let sent = 0;
        let text = head;
        while (rows.length > 0) {
          for (let i = 0; i < rows.length; i++) text += (sent + i > 0 ? sep : '') + line(rows[i]!);
          yield text;
          text = '';
          sent += rows.length;
          if (sent >= limit || rows.length < STREAM_CHUNK) break;
          const last = rows[rows.length - 1]!;
          rows = await fetch(sent, { createdAt: last.created_at, id: last.id });
        }
        text += tail;
        if (text) yield text;
      }
      // highWaterMark 1: read the next chunk only when the socket has taken the previous one.
      const stream = Readable.from(chunks(), { highWaterMark: 1 });
      stream.on('error', (err) => request.log.error({ err }, 'data export failed mid-stream'));
      reply.header(
        'content-type',
        q.format === 'csv'
          ? 'text/csv; charset=utf-8'
          : q.format === 'ndjson'
            ? 'application/x-ndjson; charset=utf-8'
            : 'application/json; charset=utf-8',
      );
      if (q.format === 'csv') reply.header('content-disposition', 'attachment; filename="apilens-data.csv"');
      return reply.send(stream);
    },
  });
}
