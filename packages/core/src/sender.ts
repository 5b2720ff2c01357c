// Sending: delivers one batch to the collector — encoding, retries with backoff, splitting on
// 413, reading the answer — and counts what became of its records. Knows nothing of queues.
import { ApilensError, errorText, type Reporter } from './report.js';
import { backoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';
import { unref } from './timers.js';
import type { Transport, TransportResponse } from './transport.js';
import type { AnalyticsStats, RequestRecord } from './types.js';

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
  /** Full ingest URL. */
  endpoint: string;
  /** Headers of every POST (content type and encoding, user agent). */
  headers: Record<string, string>;
  /** Timeout of one attempt. */
  timeoutMs: number;
  /** Further attempts after a retryable failure. */
  maxRetries: number;
  /** Serialises (and compresses) a batch. */
  encode(batch: readonly RequestRecord[]): Promise<string | Uint8Array>;
  reporter: Reporter;
  counters: DeliveryCounters;
}

/** Delivers batches to the collector; see {@link createSender}. */
export interface Sender {
  /** Delivers one batch (splitting it on 413); resolves when it is accepted or given up on. Never rejects. */
  deliver(batch: readonly RequestRecord[]): Promise<void>;
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
 * Creates the sender of a client. `transport` is called on the first delivery (and
 * again after it failed to load): undici is imported lazily, so that edge runtimes
 * can import the core.
 *
 * @example
 * const sender = createSender(() => createTransport('auto', endpoint, 10_000), options);
 * await sender.deliver(batch);
 */
export function createSender(transport: () => Promise<Transport>, options: SenderOptions): Sender {
  const { endpoint, headers, timeoutMs, maxRetries, encode, reporter, counters } = options;
  const abort = new AbortController();
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

  /** Reads the collector's `{ accepted, rejected }`; a plain-text answer (upstream servers) accepts everything. */
  function accepted(res: TransportResponse, size: number): void {
    let count = size;
    let rejected: Array<{ index?: number; error?: string }> = [];
    try {
      const parsed = JSON.parse(res.body) as { accepted?: unknown; rejected?: unknown };
      if (typeof parsed?.accepted === 'number') count = parsed.accepted;
      if (Array.isArray(parsed?.rejected)) rejected = parsed.rejected;
    } catch {
      // Upstream servers answer with plain text: everything was accepted.
    }
    counters.sent += count;
    if (rejected.length === 0) return;
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

  async function post(batch: readonly RequestRecord[], body: string | Uint8Array): Promise<void> {
    let http: Transport;
    try {
      client ??= transport();
      http = await client;
    } catch (err) {
      client = undefined;
      failBatch(
        batch.length,
        new ApilensError('network', `could not load the HTTP client: ${errorText(err)}`),
      );
      return;
    }
    for (let attempt = 0; ; attempt++) {
      if (halted) return lose(batch.length, HALTED);
      let res: TransportResponse | undefined;
      let failure: unknown;
      try {
        res = await http.send({ url: endpoint, headers, body, signal: abort.signal, timeoutMs });
      } catch (err) {
        failure = err;
      }
      if (res && res.status >= 200 && res.status < 300) return accepted(res, batch.length);
      if (res && res.status === 413 && batch.length > 1) {
        // Too large for this collector's body limit: halve it rather than lose it.
        const half = Math.ceil(batch.length / 2);
        await deliver(batch.slice(0, half));
        await deliver(batch.slice(half));
        return;
      }
      if (halted) return lose(batch.length, HALTED);
      const retryable = res === undefined || isRetryableStatus(res.status);
      const error = res
        ? new ApilensError(
            'http',
            `collector at ${endpoint} answered ${res.status}${serverMessage(res.body)}`,
            {
              status: res.status,
              records: batch.length,
            },
          )
        : new ApilensError('network', `could not reach the collector at ${endpoint}: ${errorText(failure)}`, {
            records: batch.length,
            cause: failure,
          });
      if (!retryable || attempt >= maxRetries) {
        failBatch(batch.length, error, retryable ? attempt + 1 : undefined);
        return;
      }
      counters.retries++;
      await sleep(parseRetryAfter(res?.retryAfter) ?? backoffMs(attempt));
    }
  }

  async function deliver(batch: readonly RequestRecord[]): Promise<void> {
    let body: string | Uint8Array;
    try {
      body = await encode(batch);
    } catch (err) {
      counters.failedBatches++;
      drop(batch.length);
      reporter.report(
        new ApilensError('encode', `could not serialise a batch: ${errorText(err)}`, {
          records: batch.length,
          cause: err,
        }),
      );
      return;
    }
    await post(batch, body);
  }

  return {
    deliver,
    lose,
    setDeadline(at) {
      deadline = at;
    },
    halt() {
      halted = true;
      abort.abort();
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
