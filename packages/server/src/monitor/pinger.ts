import { alertPayload, type PendingAlert } from './alerts.js';
import type { GuardOptions } from './guard.js';
import { probe } from './probe.js';
import type { Attempt, MonitorMethod } from './types.js';
import { deliverWebhook } from './webhook.js';

/** A monitor the pinger has claimed for one attempt. */
export interface DueMonitor {
  id: string;
  keyId: number;
  url: string;
  method: MonitorMethod;
  expectStatus: number | null;
  intervalSeconds: number;
}

/** What storing an attempt did: the alert to send, if the monitor changed state and has a webhook. */
export interface AttemptOutcome {
  alert: PendingAlert | null;
}

/** The storage the pinger needs; both stores implement it. */
export interface PingerStore {
  /**
   * Claims up to `limit` monitors due at `now` and moves each one's next due time to
   * {@link nextDueAt}, atomically: with several collector processes on one database, each due
   * monitor is claimed by one of them.
   */
  claimDueMonitors(now: number, limit: number): Promise<DueMonitor[]>;
  /** Stores an attempt and advances the monitor's health ({@link advanceHealth}) in one transaction. */
  recordAttempt(monitor: DueMonitor, attempt: Attempt): Promise<AttemptOutcome>;
}

/** Spread of each interval, as a fraction: 5 min ± 30 s. */
export const JITTER = 0.1;
/** A new monitor gets its first attempt within this long. */
export const FIRST_ATTEMPT_WITHIN_MS = 10_000;

/**
 * When a claimed monitor is due next. Each interval is stretched or shrunk at random by up to
 * {@link JITTER}, so monitors created together drift apart instead of firing together forever.
 * A monitor found more than a whole interval late (the collector was stopped) is put at a random
 * point of the next interval, so a restart does not fire every monitor at once.
 */
export function nextDueAt(dueAt: number, now: number, intervalMs: number, random = Math.random): number {
  if (now - dueAt > intervalMs) return now + Math.round(random() * intervalMs);
  return now + Math.round(intervalMs * (1 + JITTER * (2 * random() - 1)));
}

/** When a new monitor gets its first attempt: soon, at a random point so batches of new ones spread. */
export function firstDueAt(now: number, intervalMs: number, random = Math.random): number {
  return now + Math.round(random() * Math.min(intervalMs, FIRST_ATTEMPT_WITHIN_MS));
}

/** A pino-compatible logger (Fastify's `app.log`). */
export interface PingerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of the {@link Pinger}, resolved. */
export interface PingerOptions extends GuardOptions {
  /** Attempts in flight at once. */
  concurrency: number;
  /** Limit of one attempt. */
  timeoutMs: number;
  /** How often the store is asked for due monitors. */
  tickMs: number;
  /** Alert delivery: retries after the first attempt, and the first backoff (×4 each time). */
  webhookRetries: number;
  webhookBackoffMs: number;
  /** Deliveries waiting or retrying at once; an alert beyond it is dropped and logged. @default 100 */
  maxPendingAlerts?: number;
  log: PingerLog;
  /** @default Date.now */
  now?: () => number;
}

/** Counters since the pinger started. */
export interface PingerStats {
  running: number;
  attempts: number;
  failures: number;
  alertsDelivered: number;
  alertsFailed: number;
  alertsDropped: number;
}

/** Counters of a pinger that has done nothing (or does not run). */
export function noStats(): PingerStats {
  return { running: 0, attempts: 0, failures: 0, alertsDelivered: 0, alertsFailed: 0, alertsDropped: 0 };
}

/**
 * Probes due monitors in the background: every `tickMs` it claims as many due monitors as it has
 * free slots (at most `concurrency` attempts in flight), probes each through the SSRF guard,
 * stores the attempt and sends the alert the state machine asks for. Nothing it does throws into
 * the process: store, probe and webhook failures are logged and the loop goes on.
 *
 * @example
 * const pinger = new Pinger(store, { concurrency: 8, timeoutMs: 10_000, tickMs: 1000, allowPrivate: false,
 *   webhookRetries: 4, webhookBackoffMs: 1000, log: app.log });
 * pinger.start();
 * await pinger.stop();
 */
export class Pinger {
  readonly #store: PingerStore;
  readonly #o: PingerOptions;
  readonly #guard: GuardOptions;
  readonly #now: () => number;
  readonly #shutdown = new AbortController();
  readonly #running = new Set<Promise<void>>();
  readonly #deliveries = new Set<Promise<void>>();
  /** The last delivery per monitor: a monitor's alerts go out in order, each after the previous one. */
  readonly #lastDelivery = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | null = null;
  #started = false;
  #stopped = false;
  #lastClaimError = { message: '', at: 0 };
  readonly #stats: PingerStats = noStats();

  constructor(store: PingerStore, options: PingerOptions) {
    this.#store = store;
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#guard = {
      allowPrivate: options.allowPrivate,
      resolve: options.resolve,
      ca: options.ca,
      connectTimeoutMs: options.timeoutMs,
    };
  }

  /** Starts the background loop. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.tick().finally(() => this.#schedule(this.#o.tickMs));
    }, delay);
    this.#timer.unref();
  }

  /** Claims the due monitors there is room for and starts their attempts; one claim at a time. */
  tick(): Promise<void> {
    this.#ticking ??= this.#claim().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #claim(): Promise<void> {
    const free = this.#o.concurrency - this.#running.size;
    if (this.#stopped || free <= 0) return;
    let due: DueMonitor[];
    try {
      due = await this.#store.claimDueMonitors(this.#now(), free);
    } catch (err) {
      // Once a minute at most while the database stays down: the loop asks every tick.
      const message = (err as Error).message;
      const now = Date.now();
      if (message !== this.#lastClaimError.message || now - this.#lastClaimError.at > 60_000) {
        this.#o.log.error({ err }, 'monitoring: could not read due monitors from the store');
        this.#lastClaimError = { message, at: now };
      }
      return;
    }
    for (const monitor of due) {
      const run = this.#attempt(monitor).finally(() => {
        this.#running.delete(run);
        this.#stats.running = this.#running.size;
        // A full claim means more may be waiting: take them now rather than a tick later.
        if (due.length === free && !this.#stopped) void this.tick();
      });
      this.#running.add(run);
    }
    this.#stats.running = this.#running.size;
  }

  async #attempt(monitor: DueMonitor): Promise<void> {
    const attempt = await probe(monitor, {
      guard: this.#guard,
      timeoutMs: this.#o.timeoutMs,
      now: this.#now,
    });
    this.#stats.attempts++;
    if (attempt.failure !== null) this.#stats.failures++;
    let outcome: AttemptOutcome;
    try {
      outcome = await this.#store.recordAttempt(monitor, attempt);
    } catch (err) {
      this.#o.log.error({ err, monitor: monitor.id }, 'monitoring: could not store an attempt');
      return;
    }
    if (outcome.alert) this.#alert(monitor, attempt, outcome.alert);
  }

  #alert(monitor: DueMonitor, attempt: Attempt, alert: PendingAlert): void {
    if (this.#deliveries.size >= (this.#o.maxPendingAlerts ?? 100)) {
      this.#stats.alertsDropped++;
      this.#o.log.warn(
        { monitor: monitor.id, change: alert.change },
        'monitoring: too many alerts waiting for delivery; this one is dropped',
      );
      return;
    }
    const payload = alertPayload(monitor, alert.change, alert.since, attempt, alert.downSince);
    // A recovery must not overtake the "down" alert still being retried for the same monitor.
    const previous = this.#lastDelivery.get(monitor.id) ?? Promise.resolve();
    const send = () =>
      deliverWebhook(alert.webhookUrl, payload, {
        guard: this.#guard,
        timeoutMs: this.#o.timeoutMs,
        retries: this.#o.webhookRetries,
        backoffMs: this.#o.webhookBackoffMs,
        signal: this.#shutdown.signal,
      });
    const delivery = previous.then(send).then(
      (r) => {
        if (r.delivered) {
          this.#stats.alertsDelivered++;
          this.#o.log.info({ monitor: monitor.id, change: alert.change }, 'monitoring: alert delivered');
        } else {
          this.#stats.alertsFailed++;
          this.#o.log.warn(
            { monitor: monitor.id, change: alert.change, attempts: r.attempts, error: r.error },
            'monitoring: alert webhook could not be delivered',
          );
        }
      },
      (err) => {
        this.#stats.alertsFailed++;
        this.#o.log.error({ err, monitor: monitor.id }, 'monitoring: alert delivery failed');
      },
    );
    const tracked = delivery.finally(() => {
      this.#deliveries.delete(tracked);
      if (this.#lastDelivery.get(monitor.id) === tracked) this.#lastDelivery.delete(monitor.id);
    });
    this.#deliveries.add(tracked);
    this.#lastDelivery.set(monitor.id, tracked);
  }

  /** Counters since start. */
  stats(): PingerStats {
    return { ...this.#stats };
  }

  /** Resolves when no attempt and no alert delivery is in flight (tests). */
  async idle(): Promise<void> {
    while (this.#ticking || this.#running.size > 0 || this.#deliveries.size > 0) {
      await Promise.allSettled([this.#ticking, ...this.#running, ...this.#deliveries]);
    }
  }

  /**
   * Stops claiming, lets attempts in flight finish and be stored (each is bounded by the
   * timeout), and stops alert retries; waits at most `timeoutMs`.
   */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([this.#ticking, ...this.#running]), limit]);
    this.#shutdown.abort();
    await Promise.race([Promise.allSettled([...this.#deliveries]), limit]);
    clearTimeout(timer);
  }
}
