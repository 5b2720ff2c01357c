import { encodeBatch } from './compress.js';
import { Config, resolveConfig } from './config.js';
import type { ResolvedConfig } from './internal-types.js';
import { RingQueue } from './queue.js';
import { ApilensError, errorText, Reporter } from './report.js';
import { backoffMs, isRetryableStatus, parseRetryAfter } from './retry.js';
import { createTransport, type Transport, type TransportResponse } from './transport.js';
import type { AnalyticsStats, Options, Recorder, RequestAccessors, RequestRecord } from './types.js';
import { SDK_VERSION } from './version.js';
import { stripQuery } from './wire.js';

/** How long a flush triggered by the process running out of work may take. */
export const EXIT_FLUSH_TIMEOUT_MS = 5_000;
/** Default of {@link Analytics.shutdown}'s timeout. */
export const SHUTDOWN_TIMEOUT_MS = 5_000;

const PACKAGES: Record<string, string> = {
  Express: '@apilens/express',
  Koa: '@apilens/koa',
  Fastify: '@apilens/fastify',
  Hono: '@apilens/hono',
  NestJS: '@apilens/nestjs',
};

const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

let warnedNoKey = false;

type NodeProcess = {
  on(event: 'beforeExit', fn: () => void): unknown;
  off(event: 'beforeExit', fn: () => void): unknown;
};

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: Partial<NodeProcess> }).process;
  return typeof p?.on === 'function' && typeof p.off === 'function' ? (p as NodeProcess) : undefined;
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
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

  private readonly apiKey: string;
  private readonly cfg: ResolvedConfig<Req>;
  private readonly reporter: Reporter;
  private readonly queue: RingQueue<RequestRecord>;
  private readonly hasExclude: boolean;

  private sent = 0;
  private rejected = 0;
  private dropped = 0;
  private retries = 0;
  private failedBatches = 0;
  private enqueued = 0;

  private inflight: Promise<void> | null = null;
  private inflightSize = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private kickPending = false;
  private stopped = false;
  private halted = false;
  private deadline = Number.POSITIVE_INFINITY;
  private transport: Promise<Transport> | undefined;
  private readonly abort = new AbortController();
  private readonly sleepers = new Set<() => void>();
  private exitAttempt = -1;
  private shutdownPromise: Promise<void> | undefined;
  private readonly onBeforeExit: (() => void) | undefined;
  private readonly headers: Record<string, string>;

  /**
   * @param apiKey the key from `apilens keys create`; missing means a warning and a no-op client
   * @param framework the framework name sent to the collector, e.g. `Express`
   * @param config a {@link Config} or an options object; validated here, throws a TypeError when malformed
   */
  constructor(apiKey: string | undefined | null, framework: string, config?: Config<Req> | Options<Req>) {
    this.framework = typeof framework === 'string' && framework !== '' ? framework : 'Custom';
    this.packageName = PACKAGES[this.framework] ?? '@apilens/core';
    this.cfg = resolveConfig<Req>(config, this.packageName);
    if (apiKey !== undefined && apiKey !== null && typeof apiKey !== 'string') {
      throw new TypeError(`${this.packageName}: the API key must be a string, got ${typeof apiKey}.`);
    }
    this.apiKey = apiKey ?? '';
    this.enabled = this.apiKey.trim() !== '';
    this.reporter = new Reporter(this.packageName, this.cfg.onError);
    this.queue = new RingQueue(this.enabled ? this.cfg.maxQueueSize : 1);
    this.hasExclude =
      this.cfg.excludeExact.size > 0 ||
      this.cfg.excludePatterns.length > 0 ||
      this.cfg.excludePredicate !== undefined;
    this.headers = {
      'content-type': 'application/json',
      'user-agent': `apilens-node/${SDK_VERSION} (${this.framework})`,
    };
    if (this.cfg.compression === 'gzip') this.headers['content-encoding'] = 'gzip';

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
    if (this.stopped) {
      this.dropped++;
      return;
    }
    if (this.hasExclude && this.isExcluded(String(record.path), record.route, undefined)) return;
    this.enqueue(record);
  }

  /**
   * Builds the per-request function an adapter calls when a response has finished.
   * It applies the user's mappers (isolated: a throw or a wrong type falls back to
   * the framework default and is reported), the privacy level and `exclude`.
   * It never throws.
   */
  createRecorder<R extends Req>(defaults: RequestAccessors<R>): Recorder<R> {
    if (!this.enabled) return () => {};
    const c = this.cfg as unknown as ResolvedConfig<R>;
    const readIp = c.privacyLevel !== 2;
    return (req, method, status, route, responseTimeMs) => {
      if (this.stopped) {
        this.dropped++;
        return;
      }
      try {
        const path = c.getPath
          ? (this.mapString(c.getPath, 'getPath', req, defaults.path, false) as string)
          : defaults.path(req);
        if (this.hasExclude && this.isExcluded(path, route, req)) return;
        this.enqueue({
          method,
          path,
          route,
          status,
          responseTimeMs,
          hostname: c.getHostname
            ? this.mapString(c.getHostname, 'getHostname', req, defaults.hostname, true)
            : defaults.hostname(req),
          ipAddress: readIp
            ? c.getIPAddress
              ? this.mapString(c.getIPAddress, 'getIPAddress', req, defaults.ipAddress, true)
              : defaults.ipAddress(req)
            : null,
          userAgent: c.getUserAgent
            ? this.mapString(c.getUserAgent, 'getUserAgent', req, defaults.userAgent, true)
            : defaults.userAgent(req),
          userId: c.getUserID ? this.mapUserId(c.getUserID, req) : null,
          createdAt: Date.now() - responseTimeMs,
        });
      } catch (err) {
        this.reporter.report(
          () => new ApilensError('internal', `could not record a request: ${errorText(err)}`, { cause: err }),
          'internal',
        );
      }
    };
  }

  /**
   * Sends everything queued when it is called. Resolves once those records are
   * delivered or given up on (after retries); never rejects.
   */
  async flush(): Promise<void> {
    if (!this.enabled) return;
    const target = this.enqueued;
    while (!this.halted) {
      if (this.inflight) {
        await this.inflight;
        continue;
      }
      if (this.queue.removed >= target) return;
      await this.sendNext();
    }
  }

  /**
   * Stops the timers, delivers what is queued and resolves within `timeoutMs`
   * whatever the collector does; records still undelivered then are counted as
   * dropped. Idempotent; never rejects.
   *
   * @param timeoutMs how long delivery may take @default 5000
   * @example process.on('SIGTERM', () => analytics.shutdown().finally(() => process.exit(0)));
   */
  shutdown(timeoutMs: number = SHUTDOWN_TIMEOUT_MS): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const ms =
      typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs)
        ? timeoutMs
        : SHUTDOWN_TIMEOUT_MS;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.onBeforeExit) nodeProcess()?.off('beforeExit', this.onBeforeExit);
    this.shutdownPromise = (async () => {
      if (!this.enabled) return;
      await this.flushWithin(ms);
      this.halt();
      if (this.inflight) await this.inflight;
      const lost = this.queue.take(this.queue.length).length;
      if (lost > 0) this.lose(lost, 'the shutdown timeout passed before they were delivered');
      const transport = this.transport;
      this.transport = undefined;
      if (transport) {
        try {
          const t = await transport;
          await Promise.race([t.close(), new Promise((resolve) => unref(setTimeout(resolve, 100)))]);
        } catch {
          // Closing a transport that never opened is not worth a report.
        }
      }
    })();
    return this.shutdownPromise;
  }

  /** Counters since construction. */
  stats(): AnalyticsStats {
    return {
      queued: this.queue.length,
      inFlight: this.inflightSize,
      sent: this.sent,
      rejected: this.rejected,
      dropped: this.dropped,
      retries: this.retries,
      failedBatches: this.failedBatches,
    };
  }

  // ---- queueing -------------------------------------------------------------

  private enqueue(record: RequestRecord): void {
    if (this.queue.push(record)) {
      this.dropped++;
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
    this.enqueued++;
    if (this.timer === undefined) this.startTimer();
    if (this.queue.length >= this.cfg.maxBatchSize) this.kick();
  }

  private isExcluded(rawPath: string, route: string | null | undefined, req: Req | undefined): boolean {
    const c = this.cfg;
    const path = stripQuery(rawPath);
    if (c.excludeExact.has(path) || (route != null && c.excludeExact.has(route))) return true;
    for (const re of c.excludePatterns) {
      re.lastIndex = 0;
      if (re.test(path)) return true;
    }
    if (c.excludePredicate) {
      try {
        return c.excludePredicate(path, req as Req) === true;
      } catch (err) {
        this.reporter.report(
          () =>
            new ApilensError('exclude', `config.exclude threw: ${errorText(err)}; the request is recorded`, {
              field: 'exclude',
              cause: err,
            }),
          'exclude',
        );
      }
    }
    return false;
  }

  private mapString<R>(
    fn: (req: R) => unknown,
    field: string,
    req: R,
    fallback: (req: R) => string | null | undefined,
    nullable: boolean,
  ): string | null | undefined {
    let problem: string;
    let cause: unknown;
    try {
      const v = fn(req);
      if (typeof v === 'string' || (nullable && (v === null || v === undefined)))
        return v as string | null | undefined;
      problem = `returned ${v === null ? 'null' : typeof v} instead of a string`;
    } catch (err) {
      problem = `threw: ${errorText(err)}`;
      cause = err;
    }
    this.reportMapper(field, problem, cause);
    return fallback(req);
  }

  private mapUserId<R>(fn: (req: R) => unknown, req: R): string | number | null {
    let problem: string;
    let cause: unknown;
    try {
      const v = fn(req);
      if (typeof v === 'string' || typeof v === 'number') return v;
      if (v === null || v === undefined) return null;
      problem = `returned ${typeof v} instead of a string or number`;
    } catch (err) {
      problem = `threw: ${errorText(err)}`;
      cause = err;
    }
    this.reportMapper('getUserID', problem, cause);
    return null;
  }

  private reportMapper(field: string, problem: string, cause: unknown): void {
    this.reporter.report(
      new ApilensError(
        'mapper',
        `config.${field} ${problem}; using the default value (the request is still recorded)`,
        {
          field,
          cause,
        },
      ),
      `mapper:${field}`,
    );
  }

  // ---- delivery -------------------------------------------------------------

  private startTimer(): void {
    // Started on the first record, not at construction: edge runtimes forbid timers at module scope.
    this.timer = setInterval(() => {
      if (this.queue.length > 0 && !this.inflight) void this.sendNext();
    }, this.cfg.flushIntervalMs);
    unref(this.timer);
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
    const batch = this.queue.take(this.cfg.maxBatchSize);
    if (batch.length === 0) return Promise.resolve();
    this.inflightSize = batch.length;
    this.inflight = this.deliver(batch).then(
      () => this.afterBatch(),
      (err) => {
        // deliver() handles its own errors; this is a last line of defence.
        this.lose(batch.length, `internal error: ${errorText(err)}`);
        this.afterBatch();
      },
    );
    return this.inflight;
  }

  private afterBatch(): void {
    this.inflight = null;
    this.inflightSize = 0;
    if (this.queue.length >= this.cfg.maxBatchSize) this.kick();
  }

  private async deliver(batch: RequestRecord[]): Promise<void> {
    let body: string | Uint8Array;
    try {
      body = await encodeBatch(
        this.apiKey,
        this.framework,
        this.cfg.privacyLevel,
        batch,
        this.cfg.compression,
      );
    } catch (err) {
      this.failedBatches++;
      this.dropped += batch.length;
      this.reporter.report(
        new ApilensError('encode', `could not serialise a batch: ${errorText(err)}`, {
          records: batch.length,
          cause: err,
        }),
      );
      return;
    }
    await this.post(batch, body);
  }

  private async post(batch: RequestRecord[], body: string | Uint8Array): Promise<void> {
    let transport: Transport;
    try {
      this.transport ??= createTransport(this.cfg.transport, this.cfg.endpoint, this.cfg.timeoutMs);
      transport = await this.transport;
    } catch (err) {
      this.transport = undefined;
      this.failBatch(
        batch.length,
        new ApilensError('network', `could not load the HTTP client: ${errorText(err)}`),
      );
      return;
    }
    for (let attempt = 0; ; attempt++) {
      if (this.halted) {
        this.lose(batch.length, 'the shutdown timeout passed before they were delivered');
        return;
      }
      let res: TransportResponse | undefined;
      let failure: unknown;
      try {
        res = await transport.send({
          url: this.cfg.endpoint,
          headers: this.headers,
          body,
          signal: this.abort.signal,
          timeoutMs: this.cfg.timeoutMs,
        });
      } catch (err) {
        failure = err;
      }
      if (res && res.status >= 200 && res.status < 300) {
        this.accepted(res, batch.length);
        return;
      }
      if (res && res.status === 413 && batch.length > 1) {
        // Too large for this collector's body limit: halve it rather than lose it.
        const half = Math.ceil(batch.length / 2);
        await this.deliver(batch.slice(0, half));
        await this.deliver(batch.slice(half));
        return;
      }
      if (this.halted) {
        this.lose(batch.length, 'the shutdown timeout passed before they were delivered');
        return;
      }
      const retryable = res === undefined || isRetryableStatus(res.status);
      const error = res
        ? new ApilensError(
            'http',
            `collector at ${this.cfg.endpoint} answered ${res.status}${serverMessage(res.body)}`,
            { status: res.status, records: batch.length },
          )
        : new ApilensError(
            'network',
            `could not reach the collector at ${this.cfg.endpoint}: ${errorText(failure)}`,
            {
              records: batch.length,
              cause: failure,
            },
          );
      if (!retryable || attempt >= this.cfg.maxRetries) {
        this.failBatch(batch.length, error, retryable ? attempt + 1 : undefined);
        return;
      }
      this.retries++;
      await this.sleep(parseRetryAfter(res?.retryAfter) ?? backoffMs(attempt));
    }
  }

  private accepted(res: TransportResponse, size: number): void {
    let accepted = size;
    let rejected: Array<{ index?: number; error?: string }> = [];
    try {
      const parsed = JSON.parse(res.body) as { accepted?: unknown; rejected?: unknown };
      if (typeof parsed?.accepted === 'number') accepted = parsed.accepted;
      if (Array.isArray(parsed?.rejected)) rejected = parsed.rejected;
    } catch {
      // Upstream servers answer with plain text: everything was accepted.
    }
    this.sent += accepted;
    if (rejected.length > 0) {
      this.rejected += rejected.length;
      const first = rejected[0];
      this.reporter.report(
        new ApilensError(
          'rejected',
          `collector rejected ${rejected.length} of ${size} records as invalid (first: #${first?.index}: ${first?.error})`,
          { records: rejected.length },
        ),
        'rejected',
      );
    }
  }

  private failBatch(size: number, error: ApilensError, attempts?: number): void {
    this.failedBatches++;
    this.dropped += size;
    const tries = attempts === undefined ? '' : ` after ${attempts} attempts`;
    this.reporter.report(
      new ApilensError(error.code, `${error.message}; ${size} records dropped${tries}`, {
        status: error.status,
        records: size,
        cause: error.cause,
      }),
    );
  }

  private lose(size: number, why: string): void {
    this.dropped += size;
    this.reporter.report(new ApilensError('dropped', `${size} records dropped: ${why}`, { records: size }));
  }

  private sleep(ms: number): Promise<void> {
    const left = this.deadline - Date.now();
    const wait = left > 0 && left < ms ? left : ms;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      // Unref'd: a backoff alone must not keep the host process alive.
      const timer = setTimeout(done, wait);
      unref(timer);
      this.sleepers.add(done);
    });
  }

  /** Flushes, but gives up waiting after `ms`; the timer is ref'd so the process stays up meanwhile. */
  private async flushWithin(ms: number): Promise<void> {
    this.deadline = Date.now() + ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    try {
      await Promise.race([this.flush(), timeout]);
    } finally {
      clearTimeout(timer);
      if (!this.stopped) this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /** Stops all delivery now: aborts the request in flight and wakes any backoff. */
  private halt(): void {
    this.halted = true;
    this.abort.abort();
    for (const wake of [...this.sleepers]) wake();
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

export { Config };
