import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredRow } from '../../columns.js';
import { HttpError } from '../../errors.js';
import type { RowQuery, StoreKind } from '../../types.js';
import type { TextChunk } from './text-sql.js';
import type { RowWriter } from './writers.js';

/**
 * Rows read per keyset step of a streamed response: bounds memory whatever its size. Each step is
 * a query that DuckDB answers by scanning the key's rows from the cursor on (it has no index to
 * stop at the limit), so fewer, larger steps: 1 000-row steps made a 5 M-row export quadratic
 * (minutes); 5 000 rows stay within the export memory bounds (export-memory.test.ts).
 */
export const STREAM_CHUNK = 5000;

/** Rows per step of a whole export that the database writes (see text-sql.ts). */
export const TEXT_CHUNK = 5000;

/** Rows written per slice of a chunk, with a turn of the event loop between slices. */
export const WRITE_SLICE = 1000;

/**
 * Whole exports (every matching row, CSV or NDJSON, data API or dashboard) streaming per key at
 * once; one more is a 429. Each export takes its share of the one event loop for as long as it
 * runs; keys are free to mint, but one key cannot start twenty.
 */
export class ExportSlots {
  private readonly running = new Map<number, number>();

  /** Queries of whole exports at once, across keys (see {@link ExportReads}). */
  private reads?: ExportReads;

  /** `max` exports per key at once; `0` for no limit. */
  constructor(private readonly max: number) {}

  /**
   * Runs one step of a whole export when the store has room for it: one at a time on DuckDB (one
   * of its two reader connections stays for the dashboard; ingest has the writer), three on
   * PostgreSQL (two of the read pool's five connections stay for the dashboard and data pages;
   * ingest has a pool of its own). Each step is a background read: PostgreSQL lets this
   * process's ingest batches in flight finish first.
   */
  read<T>(kind: StoreKind, query: () => Promise<T>): Promise<T> {
    this.reads ??= new ExportReads(kind === 'duckdb' ? 1 : 3);
    return this.reads.run(query);
  }

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
  return respond(request, reply, writer, chunks());
}

/** Streams a response's pieces, reading the next only when the socket has taken the previous one. */
function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  writer: RowWriter,
  pieces: AsyncIterable<string>,
): FastifyReply {
  // highWaterMark 1: read the next chunk only when the socket has taken the previous one.
  const stream = Readable.from(pieces, { highWaterMark: 1 });
  stream.on('error', (err) => request.log.error({ err }, 'export failed mid-stream'));
  reply.header('content-type', writer.contentType);
  reply.headers(writer.headers);
  return reply.send(stream);
}

/**
 * Streams a whole export that the database writes (see text-sql.ts): `fetch(after)` returns the
 * next {@link TEXT_CHUNK} rows' text after the cursor, or the first ones without it. As
 * {@link sendRows}, the first step is read before answering (a failure is a clean 503) and the
 * next only when the socket has taken the previous one; the event loop only passes each step's
 * bytes on. A client that goes away ends the stream at its next step: nothing else is held.
 */
export async function sendText(
  request: FastifyRequest,
  reply: FastifyReply,
  writer: RowWriter,
  fetch: (after?: RowQuery['after']) => Promise<TextChunk>,
): Promise<FastifyReply> {
  const first = await fetch();

  async function* chunks() {
    let chunk = first;
    if (writer.head) yield writer.head;
    while (chunk.rows > 0) {
      // Piece by piece (see TEXT_PIECE): each is a young string, gone at the next scavenge.
      yield* chunk.pieces;
      if (chunk.rows < TEXT_CHUNK || !chunk.last) break;
      const after = chunk.last;
      chunk = { pieces: [], rows: 0 };
      chunk = await fetch(after);
    }
    if (writer.tail) yield writer.tail;
  }
  return respond(request, reply, writer, chunks());
}

/**
 * After each step of a whole export, the export waits this fraction of the step's query time
 * before its next step, keeping its place meanwhile: an export's queries use at most
 * 1 / (1 + EXPORT_PAUSE) of a database thread. A bulk download gives up that share of its speed
 * so that other tenants' ingest and reads keep theirs (issue 10; figures in docs/benchmarks.md).
 */
export const EXPORT_PAUSE = 0.5;

/**
 * At most `max` queries of whole exports at once across every key (FIFO): what is left of the
 * store's connections (PostgreSQL's pool, DuckDB's readers) stays free for ingest and the
 * dashboard however many keys export at once. Each query keeps its place for a pause after it
 * ({@link EXPORT_PAUSE}), so exports together never use more than that duty cycle of a place.
 */
export class ExportReads {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly pause = EXPORT_PAUSE,
  ) {}

  /** Runs `read` when one of the `max` places is free; resolves after its pause. */
  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      const started = performance.now();
      const result = await read();
      const ms = (performance.now() - started) * this.pause;
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      return result;
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
