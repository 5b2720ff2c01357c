import type { Resolver } from './guard.js';

/** Defaults of the monitoring options, in one place. */
export const MONITOR_DEFAULTS = {
  /** Monitors per API key. */
  maxMonitors: 10,
  /** Interval of a monitor that does not ask for one. */
  intervalSeconds: 300,
  /** Shortest interval a monitor may ask for in production. */
  minIntervalSeconds: 60,
  /**
   * Longest interval: with ±10 % jitter an attempt still lands in every 15-minute slot of the
   * 24-hour view, so a slot without one really means nothing was known.
   */
  maxIntervalSeconds: 600,
  timeoutMs: 10_000,
  concurrency: 8,
  tickMs: 1000,
  /** Consecutive failures before a monitor is down and the webhook is called. */
  alertThreshold: 2,
  maxAlertThreshold: 20,
  webhookRetries: 4,
  webhookBackoffMs: 1000,
  /** Attempts are kept this long (the longest period the page shows). */
  retentionDays: 60,
} as const;

/** Monitoring options of {@link buildServer}. Every field is optional. */
export interface MonitorOptions {
  /** Run the pinger in this process; `false` for a process that should only ingest and serve. @default true */
  monitoring?: boolean;
  /** Monitors one API key may have. @default 10 */
  maxMonitors?: number;
  /** Shortest interval a monitor may ask for, in seconds; lower than 60 only for tests. @default 60 */
  monitorMinIntervalSeconds?: number;
  /** Limit of one attempt (DNS, connect, TLS, response headers), in ms. @default 10000 */
  monitorTimeoutMs?: number;
  /** Attempts in flight at once in this process. @default 8 */
  monitorConcurrency?: number;
  /**
   * Allow monitor and webhook targets on loopback, private, link-local and CGNAT addresses
   * (self-hosters watching internal services). Cloud metadata and the like stay refused.
   * @default false
   */
  monitorAllowPrivate?: boolean;
  /** How often the pinger asks the store for due monitors, in ms. @default 1000 */
  monitorTickMs?: number;
  /** Wait before the first webhook retry, in ms; each next wait is 4× longer. @default 1000 */
  monitorWebhookBackoffMs?: number;
  /** How monitor host names are resolved (tests point names at 127.0.0.1). @default the system resolver */
  monitorResolver?: Resolver;
}

/** Monitoring options after validation and defaults. */
export interface ResolvedMonitorOptions {
  monitoring: boolean;
  maxMonitors: number;
  minIntervalSeconds: number;
  /** `max(300, minIntervalSeconds)` capped by the maximum. */
  defaultIntervalSeconds: number;
  maxIntervalSeconds: number;
  timeoutMs: number;
  concurrency: number;
  allowPrivate: boolean;
  tickMs: number;
  webhookRetries: number;
  webhookBackoffMs: number;
  resolve: Resolver | undefined;
}

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(
      `@apilens/server: option "${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `@apilens/server: option "${name}" must be true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Validates the monitoring options once at startup; a malformed one throws a TypeError naming it. */
export function resolveMonitorOptions(o: MonitorOptions): ResolvedMonitorOptions {
  const d = MONITOR_DEFAULTS;
  const minIntervalSeconds = int(
    'monitorMinIntervalSeconds',
    o.monitorMinIntervalSeconds,
    d.minIntervalSeconds,
    1,
    d.maxIntervalSeconds,
  );
  if (o.monitorResolver !== undefined && typeof o.monitorResolver !== 'function') {
    throw new TypeError(
      '@apilens/server: option "monitorResolver" must be a function (hostname) => Promise<string[]>',
    );
  }
  return {
    monitoring: bool('monitoring', o.monitoring, true),
    maxMonitors: int('maxMonitors', o.maxMonitors, d.maxMonitors, 0, 10_000),
    minIntervalSeconds,
    defaultIntervalSeconds: Math.max(d.intervalSeconds, minIntervalSeconds),
    maxIntervalSeconds: d.maxIntervalSeconds,
    timeoutMs: int('monitorTimeoutMs', o.monitorTimeoutMs, d.timeoutMs, 100, 60_000),
    concurrency: int('monitorConcurrency', o.monitorConcurrency, d.concurrency, 1, 256),
    allowPrivate: bool('monitorAllowPrivate', o.monitorAllowPrivate, false),
    tickMs: int('monitorTickMs', o.monitorTickMs, d.tickMs, 10, 60_000),
    webhookRetries: d.webhookRetries,
    webhookBackoffMs: int(
      'monitorWebhookBackoffMs',
      o.monitorWebhookBackoffMs,
      d.webhookBackoffMs,
      1,
      600_000,
    ),
    resolve: o.monitorResolver,
  };
}
