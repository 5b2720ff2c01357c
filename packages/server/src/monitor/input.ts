import { checkTargetUrl, TargetUrlError } from './guard.js';
import { MONITOR_DEFAULTS, type ResolvedMonitorOptions } from './options.js';
import type { AlertSettings, MonitorMethod } from './types.js';

/** A request body that cannot be used; its message says what to fix (a 400). */
export class MonitorInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'MonitorInputError';
  }
}

/** A monitor as `POST /api/monitors` asks for it, checked and with defaults applied. */
export interface MonitorInput {
  url: string;
  method: MonitorMethod;
  intervalSeconds: number;
  expectStatus: number | null;
}

function objectBody(body: unknown, fields: readonly string[], example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MonitorInputError(`send a JSON object such as ${example}`);
  }
  for (const name of Object.keys(body)) {
    if (!fields.includes(name)) {
      throw new MonitorInputError(
        `unknown field "${name.slice(0, 50)}"; the fields are ${fields.join(', ')}`,
      );
    }
  }
  return body as Record<string, unknown>;
}

function target(value: unknown, field: string, allowPrivate: boolean): string {
  try {
    return checkTargetUrl(value, field, allowPrivate);
  } catch (err) {
    if (err instanceof TargetUrlError) throw new MonitorInputError(err.message);
    throw err;
  }
}

const MONITOR_FIELDS = ['url', 'method', 'intervalSeconds', 'expectStatus'] as const;

/**
 * Reads the body of `POST /api/monitors`. `method` is required (`GET` or `HEAD`);
 * `intervalSeconds` defaults to 300 and must lie between the collector's minimum and 600;
 * `expectStatus` (100–599) makes that one status the only one that counts as up.
 */
export function parseMonitorInput(body: unknown, o: ResolvedMonitorOptions): MonitorInput {
  const b = objectBody(body, MONITOR_FIELDS, '{"url": "https://api.example.com/health", "method": "GET"}');
  const url = target(b.url, 'url', o.allowPrivate);
  if (b.method !== 'GET' && b.method !== 'HEAD') {
    throw new MonitorInputError(
      b.method === undefined
        ? '"method" is required: "GET" or "HEAD"'
        : `"method" must be "GET" or "HEAD", got ${JSON.stringify(b.method).slice(0, 50)}`,
    );
  }
  let intervalSeconds = o.defaultIntervalSeconds;
  if (b.intervalSeconds !== undefined) {
    const v = b.intervalSeconds;
    if (
      typeof v !== 'number' ||
      !Number.isInteger(v) ||
      v < o.minIntervalSeconds ||
      v > o.maxIntervalSeconds
    ) {
      throw new MonitorInputError(
        `"intervalSeconds" must be a whole number of seconds from ${o.minIntervalSeconds} to ${o.maxIntervalSeconds}, got ${JSON.stringify(v).slice(0, 50)}`,
      );
    }
    intervalSeconds = v;
  }
  let expectStatus: number | null = null;
  if (b.expectStatus !== undefined && b.expectStatus !== null) {
    const v = b.expectStatus;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 599) {
      throw new MonitorInputError(
        `"expectStatus" must be an HTTP status from 100 to 599 (or null for any 2xx or 3xx), got ${JSON.stringify(v).slice(0, 50)}`,
      );
    }
    expectStatus = v;
  }
  return { url, method: b.method, intervalSeconds, expectStatus };
}

const ALERT_FIELDS = ['webhookUrl', 'threshold'] as const;

/**
 * Reads the body of `PUT /api/alerts`, which replaces the key's alert settings: `webhookUrl`
 * (`null` turns alerts off) and `threshold`, the consecutive failures before a monitor is down
 * (1–20, default 2).
 */
export function parseAlertInput(body: unknown, o: ResolvedMonitorOptions): AlertSettings {
  const b = objectBody(
    body,
    ALERT_FIELDS,
    '{"webhookUrl": "https://hooks.slack.com/services/…", "threshold": 2}',
  );
  if (!('webhookUrl' in b)) {
    throw new MonitorInputError('"webhookUrl" is required: a URL, or null to turn alerts off');
  }
  const webhookUrl = b.webhookUrl === null ? null : target(b.webhookUrl, 'webhookUrl', o.allowPrivate);
  let threshold: number = MONITOR_DEFAULTS.alertThreshold;
  if (b.threshold !== undefined) {
    const v = b.threshold;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MONITOR_DEFAULTS.maxAlertThreshold) {
      throw new MonitorInputError(
        `"threshold" must be a whole number of consecutive failures from 1 to ${MONITOR_DEFAULTS.maxAlertThreshold}, got ${JSON.stringify(v).slice(0, 50)}`,
      );
    }
    threshold = v;
  }
  return { webhookUrl, threshold };
}
