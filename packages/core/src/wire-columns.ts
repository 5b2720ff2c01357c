// The compact format between apilens SDKs and apilens collectors (docs/wire-format.md):
// one JSON array per field (one number when every row has the same value), every string sent once in the batch's dictionary and referred
// to by index. Built with typed arrays and one JSON.stringify of the dictionary: no object
// per row, each distinct string cleaned and escaped once.
import type { BatchSlice } from './batch.js';
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
  readonly values: (string | null)[] = [];
  private readonly ids = new Map<string | null, number>();

  constructor(private readonly raw: readonly (string | null)[]) {}

  column(ids: Int32Array, from: number, to: number, clean: Clean): string {
    const remap = new Int32Array(this.raw.length).fill(-1);
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      const id = ids[i] ?? 0;
      let mapped = remap[id] ?? -1;
      if (mapped === -1) {
        mapped = this.idOf(clean(this.raw[id] ?? null));
        remap[id] = mapped;
      }
      out[i - from] = mapped;
    }
    return numbers(out);
  }

  private idOf(value: string | null): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}

/**
 * A column as JSON: the array of its values, or the one value when every row has it (a
 * hostname, a method, a status: most columns of most batches).
 */
function numbers(values: Int32Array | Float64Array): string {
  const n = values.length;
  const first = values[0];
  let i = 1;
  while (i < n && values[i] === first) i++;
  return i === n && n > 0 ? String(first) : `[${values.join(',')}]`;
}

/** A slice of a batch as the JSON body of POST /api/log-columns. */
export function columnsBody(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
): string {
  const { batch, from, to } = slice;
  const n = to - from;
  const dict = new Dictionary(batch.strings);
  const hostname = dict.column(batch.hostname, from, to, cleanText);
  const ip = dict.column(batch.ipAddress, from, to, privacyLevel === 2 ? noIp : cleanIp);
  const path = dict.column(batch.path, from, to, cleanPath);
  const userAgent = dict.column(batch.userAgent, from, to, cleanText);
  const method = dict.column(batch.method, from, to, cleanMethod);
  const userId = dict.column(batch.userId, from, to, cleanText);
  const route = dict.column(batch.route, from, to, cleanText);

  const responseTime = new Float64Array(n);
  const createdAt = new Float64Array(n);
  const base = n === 0 ? 0 : wholeTime(batch.createdAt[from] ?? Number.NaN);
  for (let i = 0; i < n; i++) {
    responseTime[i] = wholeMs(batch.responseTime[from + i] ?? 0);
    createdAt[i] = wholeTime(batch.createdAt[from + i] ?? Number.NaN) - base;
  }
  return (
    `{"v":${COLUMNS_VERSION},${envelope(apiKey, framework, privacyLevel).slice(1)},"count":${n},` +
    `"created_at_base":${base},"strings":${JSON.stringify(dict.values)},"columns":{` +
    `"hostname":${hostname},"ip_address":${ip},"path":${path},"user_agent":${userAgent},` +
    `"method":${method},"status":${numbers(batch.status.subarray(from, to))},` +
    `"response_time":${numbers(responseTime)},"user_id":${userId},` +
    `"created_at":${numbers(createdAt)},"route":${route}}}`
  );
}
