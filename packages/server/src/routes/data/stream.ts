import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredRow } from '../../columns.js';
import { HttpError } from '../../errors.js';
import type { RowQuery } from '../../types.js';
import type { RowWriter } from './writers.js';

/**
 * Rows read per keyset step of a streamed response: bounds memory whatever its size. Each step is
 * a query that DuckDB answers by scanning the key's rows from the cursor on (it has no index to
 * stop at the limit), so fewer, larger steps: 1 000-row steps made a 5 M-row export quadratic
 * (minutes); 5 000 rows stay within the export memory bounds (export-memory.test.ts).
 */
export const STREAM_CHUNK = 5000;

/** Rows written per slice of a chunk, with a turn of the event loop between slices. */
export const WRITE_SLICE = 1000;

/**
 * Whole exports (every matching row, CSV or NDJSON, data API or dashboard) streaming per key at
 * once; one more is a 429. Each export takes its share of the one event loop for as long as it
 * runs; keys are free to mint, but one key cannot start twenty.
 */
export class ExportSlots {
  private readonly running = new Map<number, number>();

  /** `max` exports per key at once; `0` for no limit. */
  constructor(private readonly max: number) {}

  /** Takes one of the key's slots until the response is over (sent or abandoned). */
  take(keyId: number, reply: FastifyReply): void {
    if (this.max === 0) return;
    const n = this.running.get(keyId) ?? 0;
    if (n >= this.max) {
      throw new HttpError(
        429,
        `this API key already has ${n} exports streaming, the limit (--max-exports-per-key); wait for one to finish`,
        { 'retry-after': '5' },
      );
    }
    this.running.set(keyId, n + 1);
    reply.raw.once('close', () => {
      const left = this.running.get(keyId)! - 1;
      if (left === 0) this.running.delete(keyId);
      else this.running.set(keyId, left);
    });
  }
}

/**
 * Streams rows through a writer, reading them in keyset chunks of {@link STREAM_CHUNK}:
 * `fetch(sent, after)` returns the next rows (at most `STREAM_CHUNK`, and at most `limit - sent`)
 * after the cursor, or the first ones without it. The first chunk is read before answering, so a
 * database failure is still a clean 503; the rest is read only when the socket has taken the
 * previous chunk, so memory stays flat and each chunk's garbage dies young (a 50 000-row page
 * built whole spent 40% of its time in GC).
 */
export async function sendRows(
  request: FastifyRequest,
  reply: FastifyReply,
  writer: RowWriter,
  limit: number,
  fetch: (sent: number, after?: RowQuery['after']) => Promise<StoredRow[]>,
): Promise<FastifyReply> {
  const firstRows = await fetch(0);

  async function* chunks() {
    let rows = firstRows;
    let sent = 0;
    let text = writer.head;
    while (rows.length > 0) {
      for (let start = 0; start < rows.length; start += WRITE_SLICE) {
        if (start > 0) {
          yield text;
          text = '';
          // Let requests that arrived meanwhile (health checks, other keys' batches) have the
          // event loop before the next slice is written: a turn of the loop per 1 000 rows.
          await new Promise(setImmediate);
        }
        const end = Math.min(rows.length, start + WRITE_SLICE);
        for (let i = start; i < end; i++) {
          text += (sent + i > 0 ? writer.separator : '') + writer.row(rows[i]!);
        }
      }
      yield text;
      text = '';
      sent += rows.length;
      if (sent >= limit || rows.length < STREAM_CHUNK) break;
      const last = rows[rows.length - 1]!;
      rows = [];
      rows = await fetch(sent, { createdAt: last.created_at, id: last.id });
      await new Promise(setImmediate);
    }
    text += writer.tail;
    if (text) yield text;
  }
  // highWaterMark 1: read the next chunk only when the socket has taken the previous one.
  const stream = Readable.from(chunks(), { highWaterMark: 1 });
  stream.on('error', (err) => request.log.error({ err }, 'export failed mid-stream'));
  reply.header('content-type', writer.contentType);
  reply.headers(writer.headers);
  return reply.send(stream);
}
