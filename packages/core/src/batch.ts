// The batch being built, as columns: one typed array per field, strings interned in a
// per-batch dictionary. Recording a request writes a few numbers into preallocated arrays
// (no object per request); every string clean-up, escape and the serialisation happen once
// per distinct string at flush time (wire.ts, wire-columns.ts).
import { Interner } from './interner.js';
import type { RequestRecord } from './types.js';

/** Index of `null` in every batch's dictionary. */
export const NULL_ID = 0;

/** method, path, route, hostname, ipAddress, userAgent, userId. */
const STRING_COLUMNS = 7;

/**
 * Up to `capacity` requests as columns. String fields hold indexes into {@link strings},
 * raw values as the adapter read them (query strings, header lists, lower-case methods
 * included); rows `start` to `end` are live (older ones were dropped or sent).
 */
export class RecordBatch {
  private dict = RecordBatch.dictionary();

  readonly method: Int32Array;
  readonly path: Int32Array;
  readonly route: Int32Array;
  readonly hostname: Int32Array;
  readonly ipAddress: Int32Array;
  readonly userAgent: Int32Array;
  readonly userId: Int32Array;
  /** Status codes; anything that is not a number became 0 (the collector rejects the row). */
  readonly status: Int32Array;
  /** Milliseconds as measured (rounded at flush time). */
  readonly responseTime: Float64Array;
  /** Start of the request, epoch milliseconds. */
  readonly createdAt: Float64Array;

  start = 0;
  end = 0;

  // Per string column, the last string written and its id: consecutive requests mostly share
  // their method, host, route, user agent and client address, and comparing with the previous
  // value (the same string object, often) costs less than hashing it for the dictionary.
  private readonly lastString: (string | null | undefined)[] = new Array(STRING_COLUMNS).fill(undefined);
  private readonly lastId = new Int32Array(STRING_COLUMNS);

  constructor(readonly capacity: number) {
    this.method = new Int32Array(capacity);
    this.path = new Int32Array(capacity);
    this.route = new Int32Array(capacity);
    this.hostname = new Int32Array(capacity);
    this.ipAddress = new Int32Array(capacity);
    this.userAgent = new Int32Array(capacity);
    this.userId = new Int32Array(capacity);
    this.status = new Int32Array(capacity);
    this.responseTime = new Float64Array(capacity);
    this.createdAt = new Float64Array(capacity);
  }

  /** A new dictionary, `null` first. */
  private static dictionary(): Interner<string | null> {
    const dict = new Interner<string | null>();
    dict.id(null);
    return dict;
  }

  /** The batch's distinct strings; index 0 is `null`. */
  get strings(): readonly (string | null)[] {
    return this.dict.values;
  }

  /** Live rows. */
  get length(): number {
    return this.end - this.start;
  }

  get full(): boolean {
    return this.end === this.capacity;
  }

  /** The dictionary id of `s`, adding it on first sight. */
  intern(s: string | null | undefined): number {
    return s === null || s === undefined ? NULL_ID : this.dict.id(s);
  }

  /** The id of `s` in column `col`, through that column's last-value cache. */
  private id(col: number, s: string | null | undefined): number {
    if (s === this.lastString[col]) return this.lastId[col] ?? NULL_ID;
    const id = this.intern(s);
    this.lastString[col] = s;
    this.lastId[col] = id;
    return id;
  }

  /** Appends one request (the caller checks {@link full} first). */
  add(
    method: string,
    path: string,
    route: string | null | undefined,
    status: number,
    responseTimeMs: number,
    hostname: string | null | undefined,
    ipAddress: string | null | undefined,
    userAgent: string | null | undefined,
    userId: string | null | undefined,
    createdAt: number,
  ): void {
    const i = this.end++;
    this.method[i] = this.id(0, method);
    this.path[i] = this.id(1, path);
    this.route[i] = this.id(2, route);
    this.hostname[i] = this.id(3, hostname);
    this.ipAddress[i] = this.id(4, ipAddress);
    this.userAgent[i] = this.id(5, userAgent);
    this.userId[i] = this.id(6, userId);
    this.status[i] = status;
    this.responseTime[i] = responseTimeMs;
    this.createdAt[i] = createdAt;
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.dict = RecordBatch.dictionary();
    this.start = 0;
    this.end = 0;
    this.lastString.fill(undefined);
    this.lastId.fill(NULL_ID);
  }
}

/** Rows `from` to `to` of a batch: what one POST carries (a 413 splits it in halves). */
export interface BatchSlice {
  readonly batch: RecordBatch;
  readonly from: number;
  readonly to: number;
}

/** The live rows of a batch as a slice. */
export function wholeBatch(batch: RecordBatch): BatchSlice {
  return { batch, from: batch.start, to: batch.end };
}

/** Number of rows of a slice. */
export function sliceSize(slice: BatchSlice): number {
  return slice.to - slice.from;
}

/** A value as the text it is recorded as: `null` for null and undefined. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

/** Takes one request's fields, raw: {@link RecordBatch.add}'s arguments. */
export type WriteRow = RecordBatch['add'];

/**
 * Hands a record given to `Analytics.record()` to `write` as fields (anything a user's code
 * may pass: numbers as user ids, a `Date` as `createdAt`, no `createdAt` at all). The client
 * IP is left out unless `readIp` (privacy level 2 never sends it). Throws, writing nothing,
 * when a field cannot be turned into text or a number.
 */
export function writeRecord(r: RequestRecord, readIp: boolean, write: WriteRow): void {
  const ms = Number(r.responseTimeMs);
  const created = r.createdAt;
  write(
    typeof r.method === 'string' ? r.method : String(r.method),
    typeof r.path === 'string' ? r.path : String(r.path ?? ''),
    text(r.route),
    Number(r.status),
    ms,
    text(r.hostname),
    readIp ? text(r.ipAddress) : null,
    text(r.userAgent),
    text(r.userId),
    created instanceof Date
      ? created.getTime()
      : typeof created === 'number'
        ? created
        : Date.now() - (Number.isFinite(ms) && ms > 0 ? ms : 0),
  );
}

/** One batch holding `records`, for tests and benchmarks. */
export function batchOf(records: readonly RequestRecord[], readIp = true): RecordBatch {
  const batch = new RecordBatch(Math.max(1, records.length));
  const add = batch.add.bind(batch);
  for (const r of records) writeRecord(r, readIp, add);
  return batch;
}
