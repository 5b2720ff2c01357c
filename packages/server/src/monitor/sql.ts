// SQL of the monitoring tables, the same text for DuckDB and PostgreSQL (both take `$n`
// parameters, window functions and ON CONFLICT). What differs (DDL types, row locks) is in each
// store's migrations and code.
import type { MonitorHealth } from './alerts.js';
import type { DueMonitor } from './pinger.js';
import type { StoredMonitor } from './store-types.js';
import type { AlertSettings, Attempt, FailureKind, MonitorMethod, MonitorState } from './types.js';
import type { SlotAggregate } from './uptime.js';

/** Columns of a monitor row, in the order {@link monitorFromRow} reads them. */
export const MONITOR_COLUMNS =
  'id, key_id, url, method, interval_seconds, expect_status, created_at, state, state_since, consecutive_failures, failing_since, last_at, last_response_ms, last_status, last_failure, last_detail';

export const INSERT_MONITOR = `INSERT INTO monitors (id, key_id, url, method, interval_seconds, expect_status, created_at, next_due_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

export const LIST_MONITORS = `SELECT ${MONITOR_COLUMNS} FROM monitors WHERE key_id = $1 ORDER BY created_at, id`;

export const FIND_MONITOR_BY_TARGET = `SELECT ${MONITOR_COLUMNS} FROM monitors WHERE key_id = $1 AND method = $2 AND url = $3`;

export const COUNT_MONITORS = 'SELECT COUNT(*) FROM monitors WHERE key_id = $1';

export const DELETE_MONITOR_ATTEMPTS = 'DELETE FROM monitor_attempts WHERE key_id = $1 AND monitor_id = $2';
export const DELETE_MONITOR = 'DELETE FROM monitors WHERE key_id = $1 AND id = $2';

/** Due monitors, the most overdue first. PostgreSQL appends `FOR UPDATE SKIP LOCKED`. */
export const SELECT_DUE =
  'SELECT id, key_id, url, method, expect_status, interval_seconds, next_due_at FROM monitors WHERE next_due_at <= $1 ORDER BY next_due_at LIMIT $2';

/** Whether any monitor is due (a cheap read before a claim's write transaction). */
export const ANY_DUE = 'SELECT 1 FROM monitors WHERE next_due_at <= $1 LIMIT 1';

export const SET_NEXT_DUE = 'UPDATE monitors SET next_due_at = $2 WHERE id = $1';

/** The monitor's health and its key's alert settings. PostgreSQL appends `FOR UPDATE OF m`. */
export const SELECT_HEALTH = `SELECT m.state, m.state_since, m.consecutive_failures, m.failing_since, a.webhook_url, a.threshold
FROM monitors m LEFT JOIN alert_settings a ON a.key_id = m.key_id WHERE m.id = $1`;

export const INSERT_ATTEMPT = `INSERT INTO monitor_attempts (monitor_id, key_id, attempted_at, response_ms, status, failure, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)`;

export const UPDATE_HEALTH = `UPDATE monitors SET state = $2, state_since = $3, consecutive_failures = $4, failing_since = $5,
  last_at = $6, last_response_ms = $7, last_status = $8, last_failure = $9, last_detail = $10
WHERE id = $1`;

export const SELECT_ALERTS = 'SELECT webhook_url, threshold FROM alert_settings WHERE key_id = $1';

export const UPSERT_ALERTS = `INSERT INTO alert_settings (key_id, webhook_url, threshold) VALUES ($1, $2, $3)
ON CONFLICT (key_id) DO UPDATE SET webhook_url = excluded.webhook_url, threshold = excluded.threshold`;

export const DELETE_ATTEMPTS_BEFORE = 'DELETE FROM monitor_attempts WHERE attempted_at < $1';

/** Deleting a key: its attempts, monitors and alert settings (run before the key row goes). */
export const DELETE_KEY_ATTEMPTS = 'DELETE FROM monitor_attempts WHERE key_id = $1';
export const DELETE_KEY_MONITORS = 'DELETE FROM monitors WHERE key_id = $1';
export const DELETE_KEY_ALERTS = 'DELETE FROM alert_settings WHERE key_id = $1';

/**
 * A key's attempts in `[$2, $4)` summed per monitor and per `$3`-millisecond slot, with each
 * slot's worst attempt (a failure over a success, the latest failure, the slowest success: as
 * {@link worseAttempt}) picked by a window function.
 */
export const MONITOR_SLOTS = `WITH a AS (
  SELECT monitor_id, attempted_at, response_ms, status, failure, detail, attempted_at - (attempted_at % $3) AS t
  FROM monitor_attempts WHERE key_id = $1 AND attempted_at >= $2 AND attempted_at < $4
), r AS (
  SELECT a.*, ROW_NUMBER() OVER (
    PARTITION BY monitor_id, t
    ORDER BY (failure IS NULL), CASE WHEN failure IS NULL THEN response_ms ELSE 0 END DESC, attempted_at DESC
  ) AS rn
  FROM a
)
SELECT monitor_id, t, COUNT(*) AS attempts, COUNT(failure) AS failures, COUNT(status) AS answered,
  COALESCE(SUM(CASE WHEN status IS NOT NULL THEN response_ms END), 0) AS sum_ms,
  MAX(CASE WHEN status IS NOT NULL THEN response_ms END) AS max_ms,
  MAX(CASE WHEN rn = 1 THEN attempted_at END) AS w_at,
  MAX(CASE WHEN rn = 1 THEN response_ms END) AS w_ms,
  MAX(CASE WHEN rn = 1 THEN status END) AS w_status,
  MAX(CASE WHEN rn = 1 THEN failure END) AS w_failure,
  MAX(CASE WHEN rn = 1 THEN detail END) AS w_detail
FROM r GROUP BY monitor_id, t`;

// Drivers hand back BIGINT as bigint (DuckDB) or string (pg); COUNT(*) likewise.
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The attempt in five columns from `i` (time, response ms, status, failure, detail); `null` without a time. */
function attemptAt(r: readonly unknown[], i: number): Attempt | null {
  const at = numOrNull(r[i]);
  if (at === null) return null;
  return {
    at,
    responseMs: num(r[i + 1]),
    status: numOrNull(r[i + 2]),
    failure: strOrNull(r[i + 3]) as FailureKind | null,
    detail: strOrNull(r[i + 4]),
  };
}

/** A monitor row ({@link MONITOR_COLUMNS}, as an array) as a {@link StoredMonitor}. */
export function monitorFromRow(r: readonly unknown[]): StoredMonitor {
  const health: MonitorHealth = {
    state: r[7] as MonitorState,
    since: numOrNull(r[8]),
    consecutiveFailures: num(r[9]),
    failingSince: numOrNull(r[10]),
  };
  return {
    id: String(r[0]),
    keyId: num(r[1]),
    url: String(r[2]),
    method: r[3] as MonitorMethod,
    intervalSeconds: num(r[4]),
    expectStatus: numOrNull(r[5]),
    createdAt: num(r[6]),
    health,
    lastAttempt: attemptAt(r, 11),
  };
}

/** Parameters of {@link INSERT_MONITOR}. */
export function monitorParams(m: {
  id: string;
  keyId: number;
  url: string;
  method: MonitorMethod;
  intervalSeconds: number;
  expectStatus: number | null;
  createdAt: number;
  nextDueAt: number;
}): unknown[] {
  return [m.id, m.keyId, m.url, m.method, m.intervalSeconds, m.expectStatus, m.createdAt, m.nextDueAt];
}

/** A {@link SELECT_DUE} row as a {@link DueMonitor} and its due time. */
export function dueFromRow(r: readonly unknown[]): { monitor: DueMonitor; dueAt: number } {
  return {
    monitor: {
      id: String(r[0]),
      keyId: num(r[1]),
      url: String(r[2]),
      method: r[3] as MonitorMethod,
      expectStatus: numOrNull(r[4]),
      intervalSeconds: num(r[5]),
    },
    dueAt: num(r[6]),
  };
}

/** A {@link SELECT_HEALTH} row. */
export function healthFromRow(
  r: readonly unknown[],
  defaultThreshold: number,
): { health: MonitorHealth; webhookUrl: string | null; threshold: number } {
  return {
    health: {
      state: r[0] as MonitorState,
      since: numOrNull(r[1]),
      consecutiveFailures: num(r[2]),
      failingSince: numOrNull(r[3]),
    },
    webhookUrl: strOrNull(r[4]),
    threshold: numOrNull(r[5]) ?? defaultThreshold,
  };
}

/** Parameters of {@link INSERT_ATTEMPT}. */
export function attemptParams(monitor: DueMonitor, a: Attempt): unknown[] {
  return [monitor.id, monitor.keyId, a.at, a.responseMs, a.status, a.failure, a.detail];
}

/** Parameters of {@link UPDATE_HEALTH}. */
export function healthParams(monitorId: string, h: MonitorHealth, a: Attempt): unknown[] {
  return [
    monitorId,
    h.state,
    h.since,
    h.consecutiveFailures,
    h.failingSince,
    a.at,
    a.responseMs,
    a.status,
    a.failure,
    a.detail,
  ];
}

/** A {@link SELECT_ALERTS} row, or the defaults when the key never set any. */
export function alertsFromRow(r: readonly unknown[] | undefined, defaultThreshold: number): AlertSettings {
  return r
    ? { webhookUrl: strOrNull(r[0]), threshold: num(r[1]) }
    : { webhookUrl: null, threshold: defaultThreshold };
}

/** {@link MONITOR_SLOTS} rows grouped per monitor. */
export function slotsFromRows(rows: readonly (readonly unknown[])[]): Map<string, SlotAggregate[]> {
  const byMonitor = new Map<string, SlotAggregate[]>();
  for (const r of rows) {
    const id = String(r[0]);
    const aggregate: SlotAggregate = {
      t: num(r[1]),
      attempts: num(r[2]),
      failures: num(r[3]),
      answered: num(r[4]),
      sumResponseMs: num(r[5]),
      maxResponseMs: numOrNull(r[6]),
      worst: attemptAt(r, 7),
    };
    const list = byMonitor.get(id);
    if (list) list.push(aggregate);
    else byMonitor.set(id, [aggregate]);
  }
  return byMonitor;
}
