// What the stores' monitoring transactions do, once for both: each store runs these inside its own
// transaction, with its own driver and its own row locks.
import { advanceHealth, alertOf } from './alerts.js';
import { MONITOR_DEFAULTS } from './options.js';
import { type AttemptOutcome, type DueMonitor, nextDueAt } from './pinger.js';
import * as q from './sql.js';
import type { CreateMonitorRefusal, NewMonitor, StoredMonitor } from './store-types.js';
import type { Attempt } from './types.js';

/** Runs one statement in the caller's transaction and resolves with its rows as arrays. */
export type RunSql = (sql: string, params: unknown[]) => Promise<readonly (readonly unknown[])[]>;

/**
 * Row-lock clauses appended to the claim and the health read: PostgreSQL's, so that collector
 * processes sharing the database skip each other's claims; none where one writer runs one
 * transaction at a time (DuckDB).
 */
export interface RowLocks {
  due: string;
  health: string;
}

/** The duplicate and limit checks and the insert of `createMonitor` (the key is known to exist). */
export async function createMonitorIn(
  run: RunSql,
  m: NewMonitor,
  maxPerKey: number,
): Promise<StoredMonitor | CreateMonitorRefusal> {
  const existing = (await run(q.FIND_MONITOR_BY_TARGET, [m.keyId, m.method, m.url]))[0];
  if (existing) return { refused: 'duplicate', existing: q.monitorFromRow(existing) };
  const count = Number((await run(q.COUNT_MONITORS, [m.keyId]))[0]?.[0] ?? 0);
  if (count >= maxPerKey) return { refused: 'limit', count };
  await run(q.INSERT_MONITOR, q.monitorParams(m));
  return q.monitorFromRow((await run(q.FIND_MONITOR_BY_TARGET, [m.keyId, m.method, m.url]))[0]!);
}

/** `claimDueMonitors`: the due monitors, each rescheduled ({@link nextDueAt}) in the same transaction. */
export async function claimDueIn(
  run: RunSql,
  now: number,
  limit: number,
  locks: RowLocks,
): Promise<DueMonitor[]> {
  const due = (await run(`${q.SELECT_DUE}${locks.due}`, [now, limit])).map(q.dueFromRow);
  for (const d of due) {
    await run(q.SET_NEXT_DUE, [d.monitor.id, nextDueAt(d.dueAt, now, d.monitor.intervalSeconds * 1000)]);
  }
  return due.map((d) => d.monitor);
}

/** `recordAttempt`: the attempt stored and the health advanced; nothing for a deleted monitor. */
export async function recordAttemptIn(
  run: RunSql,
  monitor: DueMonitor,
  attempt: Attempt,
  locks: RowLocks,
): Promise<AttemptOutcome> {
  const row = (await run(`${q.SELECT_HEALTH}${locks.health}`, [monitor.id]))[0];
  // Deleted while the attempt was running: nothing to record.
  if (!row) return { alert: null };
  const { health: prev, webhookUrl, threshold } = q.healthFromRow(row, MONITOR_DEFAULTS.alertThreshold);
  const step = advanceHealth(prev, attempt, threshold);
  await run(q.INSERT_ATTEMPT, q.attemptParams(monitor, attempt));
  await run(q.UPDATE_HEALTH, q.healthParams(monitor.id, step.health, attempt));
  return { alert: alertOf(step, prev, webhookUrl) };
}
