import type pg from 'pg';
import { MONITOR_DEFAULTS } from '../monitor/options.js';
import * as q from '../monitor/sql.js';
import type { MonitorStore } from '../monitor/store-types.js';
import {
  claimDueIn,
  createMonitorIn,
  type RowLocks,
  type RunSql,
  recordAttemptIn,
} from '../monitor/transactions.js';
import { UnknownKeyError } from '../types.js';

/** Runs a function in a transaction on one pooled client. */
export type PgTransaction = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/**
 * Claims skip rows another process has locked (its claim in progress); the health read locks the
 * monitor so two attempts of it (and its deletion) take turns.
 */
const LOCKS: RowLocks = { due: ' FOR UPDATE SKIP LOCKED', health: ' FOR UPDATE OF m' };

const rows = async (c: pg.Pool | pg.PoolClient, text: string, values: unknown[]) =>
  (await c.query<unknown[]>({ text, values, rowMode: 'array' })).rows;

const runOn =
  (c: pg.PoolClient): RunSql =>
  (sql, params) =>
    rows(c, sql, params);

/**
 * The monitoring methods of the PostgreSQL store. Due monitors are claimed with
 * `FOR UPDATE SKIP LOCKED` and rescheduled in the same transaction, so collector processes
 * sharing the database never claim the same monitor for the same interval.
 */
export function postgresMonitors(pool: pg.Pool, tx: PgTransaction): MonitorStore {
  const threshold = MONITOR_DEFAULTS.alertThreshold;

  return {
    async createMonitor(m, maxPerKey) {
      return tx(async (c) => {
        // The key's row lock serialises creations for one key: the count cannot go stale.
        const key = await c.query('SELECT 1 FROM keys WHERE id = $1 FOR UPDATE', [m.keyId]);
        if (key.rowCount === 0) throw new UnknownKeyError();
        return createMonitorIn(runOn(c), m, maxPerKey);
      });
    },

    async listMonitors(keyId) {
      return (await rows(pool, q.LIST_MONITORS, [keyId])).map(q.monitorFromRow);
    },

    async deleteMonitor(keyId, monitorId) {
      return tx(async (c) => {
        // The monitor first: its row lock waits for an attempt being recorded (which locks it),
        // and the attempts are deleted after, by a statement that sees that attempt committed.
        const monitors = (await c.query(q.DELETE_MONITOR, [keyId, monitorId])).rowCount ?? 0;
        const pings = (await c.query(q.DELETE_MONITOR_ATTEMPTS, [keyId, monitorId])).rowCount ?? 0;
        return { monitors, pings };
      });
    },

    async claimDueMonitors(now, limit) {
      return tx((c) => claimDueIn(runOn(c), now, limit, LOCKS));
    },

    async recordAttempt(monitor, attempt) {
      return tx((c) => recordAttemptIn(runOn(c), monitor, attempt, LOCKS));
    },

    async monitorSlots(keyId, from, to, slotMs) {
      return q.slotsFromRows(await rows(pool, q.MONITOR_SLOTS, [keyId, from, slotMs, to]));
    },

    async getAlertSettings(keyId) {
      return q.alertsFromRow((await rows(pool, q.SELECT_ALERTS, [keyId]))[0], threshold);
    },

    async putAlertSettings(keyId, settings) {
      await tx(async (c) => {
        // FOR SHARE: a concurrent key deletion waits, then deletes these settings too.
        const key = await c.query('SELECT 1 FROM keys WHERE id = $1 FOR SHARE', [keyId]);
        if (key.rowCount === 0) throw new UnknownKeyError();
        await c.query(q.UPSERT_ALERTS, [keyId, settings.webhookUrl, settings.threshold]);
      });
    },

    async deleteAttemptsBefore(cutoff) {
      return (await pool.query(q.DELETE_ATTEMPTS_BEFORE, [cutoff])).rowCount ?? 0;
    },
  };
}

/**
 * Deletes a key's monitors, attempts and alert settings, inside the key deletion's transaction
 * (after the key row, whose lock keeps new monitors out). Monitors before attempts, as in
 * `deleteMonitor`.
 */
export async function deletePostgresKeyMonitoring(
  c: pg.PoolClient,
  keyId: number,
): Promise<{ monitors: number; pings: number }> {
  const monitors = (await c.query(q.DELETE_KEY_MONITORS, [keyId])).rowCount ?? 0;
  const pings = (await c.query(q.DELETE_KEY_ATTEMPTS, [keyId])).rowCount ?? 0;
  await c.query(q.DELETE_KEY_ALERTS, [keyId]);
  return { monitors, pings };
}
