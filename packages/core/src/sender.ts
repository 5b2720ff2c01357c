// Sending: delivers one batch to the collector — picking the wire format the collector reads,
// encoding, retries with backoff, splitting on 413, reading the answer — and counts what
// became of its records. Knows nothing of queues.
import { type BatchSlice, sliceSize } from './batch.js';
import type { WireFormat } from './compress.js';
import { ApilensError, errorText, type Reporter } from './report.js';
import { backoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';
import { unref } from './timers.js';
import type { Transport, TransportResponse } from './transport.js';
import type { AnalyticsStats } from './types.js';

/** Counters the sender adds to; the client reads them for `stats()`. */
export type DeliveryCounters = Pick<
  AnalyticsStats,
  'sent' | 'rejected' | 'dropped' | 'retries' | 'failedBatches'
> & {
  /**
   * Records lost after they were queued (dropped or rejected), whatever the reason:
   * what `flush()` and `shutdown()` compare to answer whether everything was delivered.
   */
  lost: number;
};

export interface SenderOptions {
  /** Full URL of the upstream row format's ingest endpoint (`…/api/log-request`). */
  endpoint: string;
  /** Full URL of the compact format's endpoint (`…/api/log-columns`). */
  columnsEndpoint: string;
  /** Headers of every POST (content type and encoding, user agent). */
  headers: Record<string, string>;
  /** Timeout of one attempt. */
  timeoutMs: number;
  /** Further attempts after a retryable failure. */
  maxRetries: number;
  /** Serialises (and compresses) a slice of a batch in a wire format. */
  encode(slice: BatchSlice, format: WireFormat): Promise<string | Uint8Array>;
  reporter: Reporter;
  counters: DeliveryCounters;
}

/** Delivers batches to the collector; see {@link createSender}. */
export interface Sender {
  /** Delivers one batch (splitting it on 413); resolves when it is accepted or given up on. Never rejects. */
  deliver(slice: BatchSlice): Promise<void>;
  /** Counts records as dropped and reports why. */
  lose(size: number, why: string): void;
  /** Backoffs end by this time (epoch ms), so that a last attempt happens before a shutdown deadline. */
  setDeadline(deadline: number): void;
  /** Stops for good: aborts the attempt in flight and wakes backoffs; later batches are dropped. */
  halt(): void;
  /** Closes the HTTP client, waiting at most 100 ms. */
  close(): Promise<void>;
}

const HALTED = 'the shutdown timeout passed before they were delivered';

/**
 * How long a collector that does not read the compact format is sent rows before it is
 * offered the compact format again (it may have been upgraded meanwhile).
 */
export const FORMAT_RECHECK_MS = 60 * 60_000;

/**
 * Collectors (by compact endpoint) found not to read the compact format, and until when
 * they get rows: remembered for the process, so that every client reporting there agrees.
 */
const rowsOnlyUntil = new Map<string, number>();

/**
 * Rows per POST in the upstream row format, whatever the batch size: upstream's server stores
 * at most 2 000 rows of a POST and silently drops the rest (`LOGGER_MAX_INSERT`).
 */
export const ROWS_PER_POST = 1_000;

/** Header naming a POST's batch, the same on each of its retries (docs/wire-format.md). */
export const BATCH_ID_HEADER = 'apilens-batch-id';

/**
 * A random id for one POST: 128 bits from the platform's CSPRNG where there is one (Node 19+,
 * browsers, Workers), else from Math.random, which is enough to tell retries apart.
 */
export function newBatchId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID;
  if (uuid) return uuid.call((globalThis as { crypto?: unknown }).crypto);
  let id = '';
  for (let i = 0; i < 4; i++)
    id += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return id;
}

/** Answers by which a collector says it has no such endpoint or format version. */
function isUnsupportedStatus(status: number): boolean {
  return status === 404 || status === 405 || status === 415 || status === 501;
}

/**
 * Creates the sender of a client. `transport` is called on the first delivery (and
 * again after it failed to load): the Node.js build loads undici only then.
 *
 * Batches go in the compact format (docs/wire-format.md) unless the collector is known
 * not to read it. A collector that answers the compact endpoint with 404, 405, 415 or 501,
 * or with a 2xx that is not an apilens answer (`{"accepted": n, …}`), is an upstream server
 * (or an older apilens): the same batch is sent again as rows, and so are later ones.
 *
 * @example
 * const sender = createSender(() => runtime.createTransport('auto', endpoint, 10_000), options);
 * await sender.deliver(wholeBatch(batch));
 */
export function createSender(transport: () => Promise<Transport>, options: SenderOptions): Sender {
  const { endpoint, columnsEndpoint, headers, timeoutMs, maxRetries, encode, reporter, counters } = options;
  // One controller per attempt, not one per sender: in a Worker an AbortSignal is bound to the
  // request that created it, and a later request's delivery may not touch it.
  const attempts = new Set<AbortController>();
  const sleepers = new Set<() => void>();
  let deadline = Number.POSITIVE_INFINITY;
  let halted = false;
  let client: Promise<Transport> | undefined;

  /** Counts records that will never be delivered. */
  function drop(size: number): void {
    counters.dropped += size;
    counters.lost += size;
  }

  function lose(size: number, why: string): void {
    drop(size);
    reporter.report(new ApilensError('dropped', `${size} records dropped: ${why}`, { records: size }));
  }

  function failBatch(size: number, error: ApilensError, attempts?: number): void {
    counters.failedBatches++;
    drop(size);
    const tries = attempts === undefined ? '' : ` after ${attempts} attempts`;
    reporter.report(
      new ApilensError(error.code, `${error.message}; ${size} records dropped${tries}`, {
        status: error.status,
        records: size,
        cause: error.cause,
      }),
    );
  }

  /** The format to send the next batch in. */
  function formatNow(): WireFormat {
    const until = rowsOnlyUntil.get(columnsEndpoint);
    if (until === undefined) return 'columns';
    if (Date.now() < until) return 'rows';
    rowsOnlyUntil.delete(columnsEndpoint);
    return 'columns';
  }

  /**
   * Reads the collector's `{ accepted, rejected }`; a plain-text answer (upstream servers)
   * to rows accepts everything. Returns false, counting nothing, when a 2xx to the compact
   * format is not an apilens answer: whatever answered does not read that format.
   */
  function accepted(res: TransportResponse, size: number, format: WireFormat): boolean {
    let count: number | undefined;
    let rejected: Array<{ index?: number; error?: string }> = [];
    try {
      const parsed = JSON.parse(res.body) as { accepted?: unknown; rejected?: unknown };
      if (typeof parsed?.accepted === 'number') count = parsed.accepted;
      if (Array.isArray(parsed?.rejected)) rejected = parsed.rejected;
    } catch {
      // Upstream servers answer with plain text.
    }
    if (count === undefined) {
      if (format === 'columns') return false;
      count = size;
    }
    counters.sent += count;
    if (rejected.length === 0) return true;
    counters.rejected += rejected.length;
    counters.lost += rejected.length;
    const first = rejected[0];
    reporter.report(
      new ApilensError(
        'rejected',
        `collector rejected ${rejected.length} of ${size} records as invalid (first: #${first?.index}: ${first?.error})`,
        { records: rejected.length },
      ),
      'rejected',
    );
    return true;
  }

  function sleep(ms: number): Promise<void> {
    const left = deadline - Date.now();
    const wait = left > 0 && left < ms ? left : ms;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      // Unref'd: a backoff alone must not keep the host process alive.
      const timer = unref(setTimeout(done, wait));
      sleepers.add(done);
    });
  }

  /**
   * Sends one encoded slice, retrying as configured. Resolves false when the collector
   * does not read `format` (nothing was counted: send it again as rows), true otherwise.
   */
  async function post(slice: BatchSlice, body: string | Uint8Array, format: WireFormat): Promise<boolean> {
    const size = sliceSize(slice);
    const url = format === 'columns' ? columnsEndpoint : endpoint;
    // One id for every attempt of this POST: a collector that stored an attempt whose answer was
    // lost (it died, the connection broke) recognises the retry and does not store it twice.
    const attemptHeaders = { ...headers, [BATCH_ID_HEADER]: newBatchId() };
    let http: Transport;
    try {
      client ??= transport();
      http = await client;
    } catch (err) {
      client = undefined;
      failBatch(size, new ApilensError('network', `could not load the HTTP client: ${errorText(err)}`));
      return true;
    }
    for (let attempt = 0; ; attempt++) {
      if (halted) {
        lose(size, HALTED);
        return true;
      }
      let res: TransportResponse | undefined;
      let failure: unknown;
      const controller = new AbortController();
      attempts.add(controller);
      try {
        res = await http.send({ url, headers: attemptHeaders, body, signal: controller.signal, timeoutMs });
      } catch (err) {
        failure = err;
      } finally {
        attempts.delete(controller);
      }
      if (res && res.status >= 200 && res.status < 300) return accepted(res, size, format);
      if (res && format === 'columns' && isUnsupportedStatus(res.status)) return false;
      if (res && res.status === 413 && size > 1) {
        // Too large for this collector's body limit: halve it rather than lose it.
        const mid = slice.from + Math.ceil(size / 2);
        await deliver({ batch: slice.batch, from: slice.from, to: mid });
        await deliver({ batch: slice.batch, from: mid, to: slice.to });
        return true;
      }
      if (halted) {
        lose(size, HALTED);
        return true;
      }
      const retryable = res === undefined || isRetryableStatus(res.status);
      const error = res
        ? new ApilensError('http', `collector at ${url} answered ${res.status}${serverMessage(res.body)}`, {
            status: res.status,
            records: size,
          })
        : new ApilensError('network', `could not reach the collector at ${url}: ${errorText(failure)}`, {
            records: size,
            cause: failure,
          });
      if (!retryable || attempt >= maxRetries) {
        failBatch(size, error, retryable ? attempt + 1 : undefined);
        return true;
      }
      counters.retries++;
      await sleep(parseRetryAfter(res?.retryAfter) ?? backoffMs(attempt));
    }
  }

  async function deliver(slice: BatchSlice): Promise<void> {
    let format = formatNow();
    for (;;) {
      if (format === 'rows' && sliceSize(slice) > ROWS_PER_POST) {
        for (let from = slice.from; from < slice.to; from += ROWS_PER_POST) {
          await deliver({ batch: slice.batch, from, to: Math.min(from + ROWS_PER_POST, slice.to) });
        }
        return;
      }
      let body: string | Uint8Array;
      try {
        body = await encode(slice, format);
      } catch (err) {
        const size = sliceSize(slice);
        counters.failedBatches++;
        drop(size);
        reporter.report(
          new ApilensError('encode', `could not serialise a batch: ${errorText(err)}`, {
            records: size,
            cause: err,
          }),
        );
        return;
      }
      if (await post(slice, body, format)) return;
      // An upstream server (or an older apilens): this batch and the next ones go as rows.
      rowsOnlyUntil.set(columnsEndpoint, Date.now() + FORMAT_RECHECK_MS);
      format = 'rows';
    }
  }

  return {
    deliver,
    lose,
    setDeadline(at) {
      deadline = at;
    },
    halt() {
      halted = true;
      for (const controller of attempts) controller.abort();
      for (const wake of [...sleepers]) wake();
    },
    async close() {
      const pending = client;
      client = undefined;
      if (!pending) return;
      try {
        const http = await pending;
        await Promise.race([http.close(), new Promise((resolve) => unref(setTimeout(resolve, 100)))]);
      } catch {
        // Closing a transport that never opened is not worth a report.
      }
    },
  };
}

/** The collector's own error message, for the report. */
function serverMessage(body: string): string {
  if (!body) return '';
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const msg = parsed?.error ?? parsed?.message;
    if (typeof msg === 'string') return `: ${msg}`;
  } catch {
    // not JSON
  }
  return `: ${body.slice(0, 200)}`;
}
