import type { BatchSlice } from './batch.js';
import { runtime } from './runtime.js';
import { yieldToLoop } from './timers.js';
import type { Compression, PrivacyLevel } from './types.js';
import { envelope, RowWriter, rowsBody } from './wire.js';
import { assembleColumns, columnParts, columnsBody } from './wire-columns.js';

/** Rows serialised per slice in the row format; the event loop runs other work between slices. */
export const SERIALISE_SLICE = 250;

/** Which body a batch is sent as: the compact columns (apilens collectors) or upstream rows. */
export type WireFormat = 'columns' | 'rows';

/**
 * The row-format body of a slice, built in pieces of {@link SERIALISE_SLICE} rows with the
 * event loop free in between: rows cost about a microsecond each to write, which in one piece
 * would add a millisecond to the latency of every request waiting behind a 1 000-row batch.
 */
export async function rowsBodySliced(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
): Promise<string> {
  if (slice.to - slice.from <= SERIALISE_SLICE) return rowsBody(apiKey, framework, privacyLevel, slice);
  const writer = new RowWriter(slice.batch, privacyLevel);
  const parts: string[] = [];
  for (let i = slice.from; i < slice.to; i += SERIALISE_SLICE) {
    if (i > slice.from) await yieldToLoop();
    parts.push(writer.rows(i, Math.min(i + SERIALISE_SLICE, slice.to)));
  }
  return `${envelope(apiKey, framework, privacyLevel)},"requests":[${parts.join(',')}]}`;
}

/** Rows from which the compact body is built a column at a time, with the event loop free in between. */
export const COLUMNS_SLICE_ROWS = 1_000;

/**
 * How long columns are written one after the other before the event loop gets a turn. A
 * turn costs tens of microseconds of CPU; a column of a hello-world batch takes less than
 * that, while one of a 5 000-row batch of distinct paths and addresses can take milliseconds.
 */
export const COLUMNS_YIELD_MS = 1;

/**
 * The compact body of a slice: in one piece up to {@link COLUMNS_SLICE_ROWS} rows, else a
 * column at a time, letting the event loop run whenever {@link COLUMNS_YIELD_MS} have passed
 * (a 5 000-row batch of varied requests takes a few milliseconds on a busy core, which in one
 * piece would add that to the latency of the requests waiting behind it).
 */
export async function columnsBodySliced(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
): Promise<string> {
  if (slice.to - slice.from <= COLUMNS_SLICE_ROWS) return columnsBody(apiKey, framework, privacyLevel, slice);
  const parts = new Map<string, string>();
  let since = performance.now();
  for (const [name, json] of columnParts(slice, privacyLevel)) {
    parts.set(name, json);
    if (performance.now() - since >= COLUMNS_YIELD_MS) {
      await yieldToLoop();
      since = performance.now();
    }
  }
  return assembleColumns(apiKey, framework, privacyLevel, slice.to - slice.from, parts);
}

/** Serialised (and, unless compression is 'none', gzip-compressed) body of one slice of a batch. */
export async function encodeBatch(
  apiKey: string,
  framework: string,
  privacyLevel: PrivacyLevel,
  slice: BatchSlice,
  format: WireFormat,
  compression: Compression,
): Promise<string | Uint8Array> {
  const json =
    format === 'columns'
      ? await columnsBodySliced(apiKey, framework, privacyLevel, slice)
      : await rowsBodySliced(apiKey, framework, privacyLevel, slice);
  return compression === 'gzip' ? runtime.gzip(json) : json;
}
