// The client: holds the queue, the timers and the lifecycle (flush, shutdown, process exit).
// Recording (recording.ts) builds the records, sending (sender.ts) delivers the batches.
import { type RecordBatch, type WriteRow, wholeBatch, writeRecord } from './batch.js';
import { encodeBatch } from './compress.js';
import { type Config, resolveConfig } from './config.js';
import type { ResolvedConfig } from './internal-types.js';
import { BatchQueue } from './queue.js';
import { Recording } from './recording.js';
import { ApilensError, errorText, Reporter } from './report.js';
import { runtime } from './runtime.js';
import { createSender, type DeliveryCounters, type Sender } from './sender.js';
import { defer, unref } from './timers.js';
import type {
  AdapterIdentity,
  AnalyticsStats,
  Options,
  Recorder,
  RequestAccessors,
  RequestRecord,
} from './types.js';
import { SDK_VERSION } from './version.js';

/** How long a flush triggered by the process running out of work may take. */
export const EXIT_FLUSH_TIMEOUT_MS = 5_000;
/** Default of {@link Analytics.shutdown}'s timeout. */
export const SHUTDOWN_TIMEOUT_MS = 5_000;

/** Package named in messages when the core is used directly, with a framework name only. */
const CORE_PACKAGE = '@apilens/core';

let warnedNoKey = false;

type NodeProcess = {
  on(event: 'beforeExit', fn: () => void): unknown;
  off(event: 'beforeExit', fn: () => void): unknown;
};

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: Partial<NodeProcess> }).process;
  return typeof p?.on === 'function' && typeof p.off === 'function' ? (p as NodeProcess) : undefined;
}

function identityOf(who: string | AdapterIdentity): AdapterIdentity {
  const framework = typeof who === 'string' ? who : who?.framework;
  return {
    framework: typeof framework === 'string' && framework !== '' ? framework : 'Custom',
    packageName:
      typeof who === 'object' && typeof who?.packageName === 'string' && who.packageName !== ''
        ? who.packageName
        : CORE_PACKAGE,
  };
}

/** A valid timeout in milliseconds, or `fallback`. */
function timeoutOr(ms: unknown, fallback: number): number {
  return typeof ms === 'number' && ms >= 0 && ms < Number.POSITIVE_INFINITY ? ms : fallback;
}

/**
 * Resolves with whether `promise` settled within `ms`. The timer is ref'd: whoever
 * waits for the answer keeps the process up meanwhile.
 */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The apilens client: takes request records, batches them in memory and ships
 * them to the collector in the background. Adapters create one per app; use it
 * directly for a framework apilens has no adapter for.
 *
 * It never throws into the host after construction, never rejects, and keeps at
 * most `maxQueueSize` records in memory.
 *
 * @example
 * const analytics = new Analytics(process.env.APILENS_API_KEY, 'MyFramework');
 * analytics.record({ method: 'GET', path: '/users/42', route: '/users/:id', status: 200, responseTimeMs: 3 });
 * process.on('SIGTERM', () => analytics.shutdown().then(() => process.exit(0)));
 */
export class Analytics<Req = any> {
  /** Framework name sent with every batch, e.g. `Express`. */
  readonly framework: string;
  /** False when no API key was given: every method is then a no-op. */
  readonly enabled: boolean;
  /** Package name used in messages, e.g. `@apilens/express`. */
  readonly packageName: string;

  private readonly cfg: ResolvedConfig<Req>;
  private readonly reporter: Reporter;
  private readonly recording: Recording<Req>;
  private readonly sender: Sender;
  private readonly queue: BatchQueue;
  private readonly counters: DeliveryCounters = {
    sent: 0,
    rejected: 0,
    dropped: 0,
    retries: 0,
    failedBatches: 0,
    lost: 0,
  };
  private enqueued = 0;

  private inflight: Promise<void> | null = null;
  private inflightSize = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private kickPending = false;
  private stopped = false;
  private halted = false;
  private exitAttempt = -1;
  private shutdownPromise: Promise<boolean> | undefined;
  private readonly onBeforeExit: (() => void) | undefined;

  /**
   * @param apiKey the key from `apilens keys create`; missing means a warning and a no-op client
   * @param framework who reports: a framework name sent to the collector (e.g. `Express`; messages
   *   then name `@apilens/core`), or an adapter's {@link AdapterIdentity}
   * @param config a {@link Config} or an options object; validated here, throws a TypeError when malformed
   */
  constructor(
    apiKey: string | undefined | null,
    framework: string | AdapterIdentity,
    config?: Config<Req> | Options<Req>,
  ) {
    const identity = identityOf(framework);
    this.framework = identity.framework;
    this.packageName = identity.packageName;
    const cfg = resolveConfig<Req>(config, this.packageName);
    this.cfg = cfg;
    if (apiKey !== undefined && apiKey !== null && typeof apiKey !== 'string') {
      throw new TypeError(`${this.packageName}: the API key must be a string, got ${typeof apiKey}.`);
    }
    const key = apiKey ?? '';
    this.enabled = key.trim() !== '';
    this.reporter = new Reporter(this.packageName, cfg.onError);
    this.recording = new Recording(cfg, this.reporter);
    this.queue = this.enabled ? new BatchQueue(cfg.maxBatchSize, cfg.maxQueueSize) : new BatchQueue(1, 1);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `apilens-node/${SDK_VERSION} (${this.framework})`,
    };
    if (cfg.compression === 'gzip') headers['content-encoding'] = 'gzip';
    this.sender = createSender(() => runtime.createTransport(cfg.transport, cfg.endpoint, cfg.timeoutMs), {
      endpoint: cfg.endpoint,
      columnsEndpoint: cfg.columnsEndpoint,
      headers,
      timeoutMs: cfg.timeoutMs,
      maxRetries: cfg.maxRetries,
      encode: (slice, format) =>
        encodeBatch(key, this.framework, cfg.privacyLevel, slice, format, cfg.compression),
      reporter: this.reporter,
      counters: this.counters,
    });

    if (!this.enabled) {
      if (!warnedNoKey) {
        warnedNoKey = true;
        console.warn(
          `[${this.packageName}] No API key given: requests will NOT be recorded. ` +
            'Create one with `npx @apilens/server keys create` (or POST /api/generate on your collector) and pass it to the middleware.',
        );
      }
      return;
    }
    const proc = nodeProcess();
    if (proc) {
      this.onBeforeExit = () => this.exitFlush();
      proc.on('beforeExit', this.onBeforeExit);
    }
  }

  /**
   * Queues one request. Cheap: no parsing or serialising happens here. After
   * {@link shutdown} records are counted as dropped.
   */
  record(record: RequestRecord): void {
    if (!this.enabled) return;
    if (this.recording.hasExclude && this.recording.excludes(String(record.path), record.route, undefined))
      return;
    try {
      writeRecord(record, this.cfg.privacyLevel !== 2, this.writeRow);
    } catch (err) {
      this.reporter.report(
        new ApilensError('internal', `could not record a request: ${errorText(err)}`, { cause: err }),
        'internal',
      );
    }
  }

  /**
   * Builds the per-request function an adapter calls when a response has finished.
   * It applies the user's mappers (isolated: a throw or a wrong type falls back to
   * the framework default and is reported), the privacy level and `exclude`, and
   * writes the fields straight into the batch being built. It never throws.
   */
  createRecorder<R extends Req>(defaults: RequestAccessors<R>): Recorder<R> {
    if (!this.enabled) return () => {};
    return this.recording.recorder(defaults, this.writeRow);
  }

  /**
   * Sends everything queued when it is called (retrying as configured). Never rejects.
   *
   * Resolves to `true` once every record queued at the call has been accepted by
   * the collector; to `false` when records were lost meanwhile (dropped after their
   * retries, refused as invalid, pushed out of a full queue) or when `timeoutMs`
   * passed first. A timeout only stops the waiting: delivery goes on in the background.
   *
   * @param timeoutMs how long to wait at most @default no limit
   * @example
   * if (!(await analytics.flush(2000))) console.warn('apilens: not everything was delivered');
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    if (!this.enabled) return true;
    const lost = this.counters.lost;
    const drained = this.drain();
    const limit = timeoutOr(timeoutMs, Number.POSITIVE_INFINITY);
    const emptied =
      limit === Number.POSITIVE_INFINITY ? await drained : (await within(drained, limit)) && (await drained);
    return emptied && this.counters.lost === lost;
  }

  /**
   * Stops the timers, delivers what is queued and resolves within `timeoutMs`
   * whatever the collector does; records still undelivered then are counted as
   * dropped. Idempotent (every call gets the first call's answer); never rejects.
   *
   * Resolves to `true` when everything queued was delivered, `false` when records
   * were lost (given up on, refused, or still undelivered at the timeout).
   *
   * @param timeoutMs how long delivery may take @default 5000
   * @example process.on('SIGTERM', () => analytics.shutdown().finally(() => process.exit(0)));
   */
  shutdown(timeoutMs: number = SHUTDOWN_TIMEOUT_MS): Promise<boolean> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const ms = timeoutOr(timeoutMs, SHUTDOWN_TIMEOUT_MS);
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.onBeforeExit) nodeProcess()?.off('beforeExit', this.onBeforeExit);
    this.shutdownPromise = (async () => {
      if (!this.enabled) return true;
      const lost = this.counters.lost;
      await this.flushWithin(ms);
      this.halted = true;
      this.sender.halt();
      if (this.inflight) await this.inflight;
      const left = this.queue.clear();
      if (left > 0) this.sender.lose(left, 'the shutdown timeout passed before they were delivered');
      await this.sender.close();
      return this.counters.lost === lost;
    })();
    return this.shutdownPromise;
  }

  /** Counters since construction. */
  stats(): AnalyticsStats {
    const { sent, rejected, dropped, retries, failedBatches } = this.counters;
    return {
      queued: this.queue.length,
      inFlight: this.inflightSize,
      sent,
      rejected,
      dropped,
      retries,
      failedBatches,
    };
  }

  // ---- queueing -------------------------------------------------------------

  /** Appends one request to the batch being built (dropping the oldest when the queue is full). */
  private readonly writeRow: WriteRow = (
    method,
    path,
    route,
    status,
    responseTimeMs,
    hostname,
    ipAddress,
    userAgent,
    userId,
    createdAt,
  ) => {
    if (this.stopped) {
      this.counters.dropped++;
      return;
    }
    const queue = this.queue;
    if (queue.isFull) {
      queue.dropOldest();
      this.counters.dropped++;
      this.counters.lost++;
      this.reporter.report(
        () =>
          new ApilensError(
            'dropped',
            `queue full (maxQueueSize ${this.cfg.maxQueueSize}): dropping the oldest records while the collector at ${this.cfg.endpoint} is not keeping up`,
            { records: 1 },
          ),
        'queue-full',
      );
    }
    const batch = queue.writable();
    batch.add(method, path, route, status, responseTimeMs, hostname, ipAddress, userAgent, userId, createdAt);
    this.enqueued++;
    if (this.timer === undefined) this.startTimer();
    if (batch.full) this.kick();
  };

  private startTimer(): void {
    // Started on the first record, not at construction: edge runtimes forbid timers at module scope.
    this.timer = unref(
      setInterval(() => {
        if (this.queue.length > 0 && !this.inflight) void this.sendNext();
      }, this.cfg.flushIntervalMs),
    );
  }

  private kick(): void {
    if (this.kickPending || this.inflight || this.halted) return;
    this.kickPending = true;
    // Serialising and compressing happen in a later macrotask, off the request that filled the batch.
    defer(() => {
      this.kickPending = false;
      if (!this.inflight && this.queue.length > 0) void this.sendNext();
    });
  }

  /** Takes one batch off the queue and delivers it; at most one batch is in flight. */
  private sendNext(): Promise<void> {
    if (this.inflight) return this.inflight;
    const batch = this.queue.take();
    if (batch === undefined) return Promise.resolve();
    const size = batch.length;
    this.inflightSize = size;
    this.inflight = this.sender.deliver(wholeBatch(batch)).then(
      () => this.afterBatch(batch),
      (err) => {
        // deliver() handles its own errors; this is a last line of defence.
        this.sender.lose(size, `internal error: ${errorText(err)}`);
        this.afterBatch(batch);
      },
    );
    return this.inflight;
  }

  private afterBatch(batch: RecordBatch): void {
    this.inflight = null;
    this.inflightSize = 0;
    this.queue.release(batch);
    if (this.queue.hasFullBatch) this.kick();
  }

  // ---- lifecycle ------------------------------------------------------------

  /**
   * Sends batches until every record queued at the call has left the queue and its
   * batch is done. Resolves `false` when delivery was halted (shutdown timeout) first.
   */
  private async drain(): Promise<boolean> {
    const target = this.enqueued;
    while (!this.halted) {
      if (this.inflight) {
        await this.inflight;
        continue;
      }
      if (this.queue.removed >= target) return true;
      await this.sendNext();
    }
    return false;
  }

  /**
   * Flushes, but gives up waiting after `ms`, and shortens backoffs so that a last
   * attempt happens before then (the process is about to exit).
   */
  private async flushWithin(ms: number): Promise<boolean> {
    this.sender.setDeadline(Date.now() + ms);
    try {
      return await this.flush(ms);
    } finally {
      if (!this.stopped) this.sender.setDeadline(Number.POSITIVE_INFINITY);
    }
  }

  /** The event loop ran out of work: deliver what is queued before the process exits. */
  private exitFlush(): void {
    if (this.stopped || (this.queue.length === 0 && !this.inflight)) return;
    // Once per batch of new records: if the collector is down, let the process exit.
    if (this.exitAttempt === this.enqueued) return;
    this.exitAttempt = this.enqueued;
    void this.flushWithin(EXIT_FLUSH_TIMEOUT_MS).then(() => {
      const pending = this.queue.length + this.inflightSize;
      if (pending > 0) {
        this.reporter.report(
          new ApilensError(
            'dropped',
            `${pending} records were not delivered to ${this.cfg.endpoint} within ${EXIT_FLUSH_TIMEOUT_MS} ms of the process running out of work; they are lost if it exits now`,
            { records: pending },
          ),
        );
      }
    });
  }
}
