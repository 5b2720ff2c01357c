// The compact batch format of apilens SDKs (POST /api/log-columns, docs/wire-format.md):
// one array per field, strings sent once in a dictionary. Decoded here into the same rows as the
// row format's `requests`, each refused or accepted as validateRow would (the same checks, in
// the same order); any fault in the structure fails the whole batch (nothing stored).
import { HttpError } from '../errors.js';
import {
  address,
  checkCreatedAt,
  checkMethod,
  checkPath,
  checkResponseTime,
  checkStatus,
  clean,
  newRow,
  type RowResult,
} from './validate.js';

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
 * What each string of the dictionary gives in each of its uses, computed the first time a row
 * uses it: the dictionary holds each distinct string once, so a batch's strings are cleaned,
 * checked as a method, as an address, once each instead of once per row (the same values and
 * reasons as validateRow's).
 */
class Dictionary {
  private readonly text: (string | null | undefined)[] = [];
  private readonly paths: (string | Error | undefined)[] = [];
  private readonly methods: (string | Error | undefined)[] = [];
  private readonly addresses: (string | null | undefined)[] = [];

  constructor(private readonly strings: readonly (string | null)[]) {}

  /** As an optional text field: `null` for null or empty, else cleaned. */
  optional(i: number): string | null {
    let v = this.text[i];
    if (v === undefined) {
      const s = this.strings[i]!;
      v = this.text[i] = s === null || s === '' ? null : clean(s);
    }
    return v;
  }

  path(i: number): string | Error {
    this.paths[i] ??= checkPath(this.strings[i]);
    return this.paths[i];
  }

  method(i: number): string | Error {
    this.methods[i] ??= checkMethod(this.strings[i]);
    return this.methods[i];
  }

  address(i: number): string | null {
    let v = this.addresses[i];
    if (v === undefined) v = this.addresses[i] = address(this.optional(i));
    return v;
  }
}

/**
 * Checks a compact batch's structure and returns its rows' validation: given the time that stands
 * for a missing `created_at`, each row accepted or refused as `validateRow` would the same row
 * sent in the row format (`created_at` read as epoch milliseconds). Throws a 415 for a version
 * this collector does not read, a 413 for more than `maxRows` rows, a 400 naming the fault for
 * anything malformed, before any row is validated (and before the key is looked up).
 */
export function compactRows(body: CompactBody, maxRows: number): (now: number) => RowResult[] {
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
  const dict = new Dictionary(strings as (string | null)[]);
  return (now) => {
    const rows = new Array<RowResult>(count);
    for (let i = 0; i < count; i++) {
      const m = dict.method(method!(i));
      if (m instanceof Error) {
        rows[i] = { ok: false, error: m.message };
        continue;
      }
      const st = checkStatus(status!(i));
      if (st instanceof Error) {
        rows[i] = { ok: false, error: st.message };
        continue;
      }
      const rt = checkResponseTime(responseTime!(i));
      if (rt instanceof Error) {
        rows[i] = { ok: false, error: rt.message };
        continue;
      }
      const at = checkCreatedAt(base + createdAt!(i), now);
      if (at instanceof Error) {
        rows[i] = { ok: false, error: at.message };
        continue;
      }
      const p = dict.path(path!(i));
      if (p instanceof Error) {
        rows[i] = { ok: false, error: p.message };
        continue;
      }
      const row = newRow(
        dict.optional(hostname!(i)),
        dict.address(ip!(i)),
        p,
        dict.optional(route!(i)),
        dict.optional(userAgent!(i)),
        m,
        st,
        rt,
        dict.optional(userId!(i)),
        at,
      );
      rows[i] = { ok: true, row };
    }
    return rows;
  };
}
