// The compact batch format of apilens SDKs (POST /api/log-columns, docs/wire-format.md):
// one array per field, strings sent once in a dictionary. Decoded here into the same raw rows
// as the row format's `requests`, which are then validated row by row like any others; only
// the structure is checked here, and any fault in it fails the whole batch (nothing stored).
import { HttpError } from '../errors.js';

/** Versions of the compact format this collector reads. */
export const COMPACT_VERSIONS: readonly number[] = [1];

/** Columns whose values are indexes into `strings`, by row field. */
const STRING_COLUMNS = [
  'hostname',
  'ip_address',
  'path',
  'user_agent',
  'method',
  'user_id',
  'route',
] as const;
/** Columns of integers. */
const NUMBER_COLUMNS = ['status', 'response_time', 'created_at'] as const;

/** A compact body after Fastify's envelope schema; everything else is checked here. */
export interface CompactBody {
  v?: unknown;
  count?: unknown;
  created_at_base?: unknown;
  strings?: unknown;
  columns?: unknown;
}

function malformed(what: string): HttpError {
  return new HttpError(
    400,
    `malformed compact batch: ${what}; nothing of it was stored (docs/wire-format.md)`,
  );
}

/**
 * One column as a function of the row: an array of `count` integers, or one integer for
 * every row. `bound` (exclusive), when given, is the dictionary size the values index into.
 */
function column(
  columns: Record<string, unknown>,
  name: string,
  count: number,
  bound?: number,
): (i: number) => number {
  const col = columns[name];
  const check = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw malformed(`${where} is ${JSON.stringify(v) ?? 'missing'}, not an integer`);
    }
    if (bound !== undefined && (v < 0 || v >= bound)) {
      throw malformed(`${where} is ${v}, beyond the ${bound} strings`);
    }
    return v;
  };
  if (col === undefined) throw malformed(`columns.${name} is missing`);
  if (!Array.isArray(col)) {
    const value = check(col, `columns.${name}`);
    return () => value;
  }
  if (col.length !== count) {
    throw malformed(`columns.${name} has ${col.length} values, not count (${count})`);
  }
  for (let i = 0; i < count; i++) check(col[i], `columns.${name}[${i}]`);
  return (i) => col[i] as number;
}

/**
 * The rows of a compact batch, shaped like the row format's `requests` (with `created_at` in
 * epoch milliseconds), for `validateRow`. Throws a 415 for a version this collector does not
 * read, a 413 for more than `maxRows` rows, a 400 naming the fault for anything malformed.
 */
export function compactRows(body: CompactBody, maxRows: number): Record<string, unknown>[] {
  const { v, count, created_at_base: base, strings, columns } = body;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw malformed('"v" must be the format version, an integer such as 1');
  }
  if (!COMPACT_VERSIONS.includes(v)) {
    throw new HttpError(
      415,
      `compact batch format version ${v} is not supported; this collector reads version ${COMPACT_VERSIONS.join(', ')} (send rows to /api/log-request instead)`,
    );
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw malformed('"count" must be the number of rows, a non-negative integer');
  }
  if (count === 0) throw new HttpError(400, '"count" is 0; send at least one request row');
  if (count > maxRows) {
    throw new HttpError(
      413,
      `batch has ${count} rows, more than the limit of ${maxRows} rows per batch; send smaller batches (SDK maxBatchSize) or raise --max-batch-rows`,
    );
  }
  if (typeof base !== 'number' || !Number.isSafeInteger(base)) {
    throw malformed('"created_at_base" must be an integer (epoch milliseconds)');
  }
  if (!Array.isArray(strings)) throw malformed('"strings" must be an array of strings and nulls');
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    if (typeof s !== 'string' && s !== null)
      throw malformed(`strings[${i}] is ${typeof s}, not a string or null`);
  }
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
    throw malformed('"columns" must be an object of columns');
  }
  const cols = columns as Record<string, unknown>;
  const text = STRING_COLUMNS.map((name) => column(cols, name, count, strings.length));
  const [status, responseTime, createdAt] = NUMBER_COLUMNS.map((name) => column(cols, name, count));
  const [hostname, ip, path, userAgent, method, userId, route] = text;
  const dict = strings as (string | null)[];
  const rows = new Array<Record<string, unknown>>(count);
  for (let i = 0; i < count; i++) {
    rows[i] = {
      hostname: dict[hostname!(i)],
      ip_address: dict[ip!(i)],
      path: dict[path!(i)],
      user_agent: dict[userAgent!(i)],
      method: dict[method!(i)],
      status: status!(i),
      response_time: responseTime!(i),
      user_id: dict[userId!(i)],
      created_at: base + createdAt!(i),
      route: dict[route!(i)],
    };
  }
  return rows;
}
