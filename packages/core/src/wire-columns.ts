// The compact format between apilens SDKs and apilens collectors (docs/wire-format.md):
// one JSON array per field (one number when every row has the same value), every string sent once in the batch's dictionary and referred
// to by index. Built with typed arrays and one JSON.stringify of the dictionary: no object
// per row, each distinct string cleaned and escaped once.
import type { BatchSlice } from './batch.js';
import { Interner } from './interner.js';
import type { PrivacyLevel } from './types.js';
import {
  type Clean,
  cleanIp,
  cleanMethod,
  cleanPath,
  cleanText,
  envelope,
  noIp,
  wholeMs,
  wholeTime,
} from './wire.js';

/** Path of the compact format's endpoint, relative to `serverUrl`. */
export const COLUMNS_PATH = '/api/log-columns';
/** Version of the compact format this SDK writes (`"v"` of every body). */
export const COLUMNS_VERSION = 1;

/**
 * Re-numbers one string column of a slice into the body's dictionary: each raw string is
 * cleaned for this kind of field once (two raw strings may clean to the same value, e.g.
 * paths that differ only by their query string, and then share an index).
 */
class Dictionary {
  private readonly interner = new Interner<string | null>();

  constructor(private readonly raw: readonly (string | null)[]) {}

  column(ids: Int32Array, from: number, to: number, clean: Clean): string {
    const first = ids[from] ?? 0;
    // Most columns of most batches hold one string (one host, one user agent, one method):
    // one pass of integer compares, then the column is a single index.
    if (sameUntil(ids, from, to, first) === to) {
      return to > from ? String(this.interner.id(clean(this.raw[first] ?? null))) : '[]';
    }
    const remap = new Int32Array(this.raw.length).fill(-1);
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      const id = ids[i] as number;
      let mapped = remap[id] as number;
      if (mapped === -1) {
        mapped = this.interner.id(clean(this.raw[id] ?? null));
        remap[id] = mapped;
      }
      out[i - from] = mapped;
    }
    // Two raw strings may clean to one value (paths differing by their query string).
    return numbers(out);
  }

  /** The body's strings, in the order the columns referred to them. */
  get values(): readonly (string | null)[] {
    return this.interner.values;
  }
}

/** The first index from `from` on whose value is not `value` (`to` when there is none). */
function sameUntil(values: Int32Array | Float64Array, from: number, to: number, value: number): number {
  let i = from;
  while (i < to && values[i] === value) i++;
  return i;
}

/**
 * A column as JSON: the array of its values, or the one value when every row has it (a
 * hostname, a method, a status: most columns of most batches).
 */
function numbers(values: Int32Array | Float64Array): string {
  const n = values.length;
  return n > 0 && sameUntil(values, 0, n, values[0] as number) === n
    ? String(values[0])
    : `[${values.join(',')}]`;
}

/**
 * A column of whole numbers as {@link numbers} writes it, joined as 32-bit integers when they
 * all fit (a third cheaper than joining doubles); milliseconds and their offsets mostly do.
 */
function wholeNumbers(values: Float64Array): string {
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    ints[i] = values[i] as number;
    if (ints[i] !== values[i]) return numbers(values);
  }
  return numbers(ints);
}

/**
 * The columns of a slice, one JSON text at a time (the dictionary grows as string columns
 * are written, so they come first); {@link columnsBody} and the sliced builder in
 * compress.ts put them together.
 */
export function* columnParts(slice: BatchSlice, privacyLevel: PrivacyLevel): Generator<[string, string]> {
  const { batch, from, to } = slice;
  const n = to - from;
  const dict = new Dictionary(batch.strings);
  yield ['hostname', dict.column(batch.hostname, from, to, cleanText)];
  yield ['ip_address', dict.column(batch.ipAddress, from, to, privacyLevel === 2 ? noIp : cleanIp)];
  yield ['path', dict.column(batch.path, from, to, cleanPath)];
  yield ['user_agent', dict.column(batch.userAgent, from, to, cleanText)];
  yield ['method', dict.column(batch.method, from, to, cleanMethod)];
  yield ['user_id', dict.column(batch.userId, from, to, cleanText)];
  yield ['route', dict.column(batch.route, from, to, cleanText)];
  yield ['status', numbers(batch.status.subarray(from, to))];
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = wholeMs(batch.responseTime[from + i] ?? 0);
  yield ['response_time', wholeNumbers(values)];
  const base = n === 0 ? 0 : wholeTime(batch.createdAt[from] ?? Number.NaN);
  for (let i = 0; i < n; i++) values[i] = wholeTime(batch.createdAt[from + i] ?? Number.NaN) - base;
  yield ['created_at', wholeNumbers(values)];
  // Last: the dictionary and the base are known once every column is written.
  yield ['strings', JSON.stringify(dict.values)];
  yield ['created_at_base', String(base)];
}

/** The body of POST /api/log-columns from a slice's column parts (in any order). */
export function assembleColumns(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  count: number,
  parts: ReadonlyMap<string, string>,
): string {
  const columns = [];
  for (const [name, json] of parts) {
    if (name !== 'strings' && name !== 'created_at_base') columns.push(`"${name}":${json}`);
  }
  return (
    `{"v":${COLUMNS_VERSION},${envelope(apiKey, framework, privacyLevel).slice(1)},"count":${count},` +
    `"created_at_base":${parts.get('created_at_base')},"strings":${parts.get('strings')},` +
    `"columns":{${columns.join(',')}}}`
  );
}

/** A slice of a batch as the JSON body of POST /api/log-columns, in one piece. */
export function columnsBody(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
): string {
  return assembleColumns(
    apiKey,
    framework,
    privacyLevel,
    slice.to - slice.from,
    new Map(columnParts(slice, privacyLevel)),
  );
}
