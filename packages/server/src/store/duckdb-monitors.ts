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
import type { Conn } from './duckdb-connection.js';

/** One writer, one transaction at a time: nothing to lock. */
const NO_LOCKS: RowLocks = { due: '', health: '' };

/** Statements on the writer: reads with plain JS values, writes' rows (none) likewise. */
const runOn =
  (w: Conn): RunSql =>
  (sql, params) =>
    w.select(sql, params);

/** What the DuckDB store lends its monitoring methods. */
export interface DuckDbAccess {
  /** Runs `fn` on the writer connection, after every write queued before it. */
  write<T>(fn: (w: Conn) => Promise<T>): Promise<T>;
  /** Runs `fn` on a reader connection. */
  read<T>(fn: (c: Conn) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction on the writer connection (call inside `write`). */
  tx<T>(w: Conn, fn: () => Promise<T>): Promise<T>;
  /** Whether the key exists (the store's exact in-memory index). */
  keyExists(keyId: number): boolean;
}

/**
 * The monitoring methods of the DuckDB store, on the SQL shared with PostgreSQL. One process
 * owns the file, so claiming due monitors needs no row lock: the claim and the rescheduling are
 * one transaction on the writer, which runs one write at a time.
 */
export function duckDbMonitors(db: DuckDbAccess): MonitorStore {
  const threshold = MONITOR_DEFAULTS.alertThreshold;
  const { write, read, tx } = db;

  return {
    async createMonitor(m, maxPerKey) {
      return write((w) =>
        tx(w, async () => {
          if (!db.keyExists(m.keyId)) throw new UnknownKeyError();
          return createMonitorIn(runOn(w), m, maxPerKey);
        }),
      );
    },

    async listMonitors(keyId) {
      return (await read((c) => c.select(q.LIST_MONITORS, [keyId]))).map(q.monitorFromRow);
    },

    async deleteMonitor(keyId, monitorId) {
      return write((w) =>
        tx(w, async () => {
          const monitors = await w.changes(q.DELETE_MONITOR, [keyId, monitorId]);
          const pings = await w.changes(q.DELETE_MONITOR_ATTEMPTS, [keyId, monitorId]);
          return { monitors, pings };
        }),
      );
    },

    async claimDueMonitors(now, limit) {
      // The pinger asks every second; most of the time nothing is due, and a reader answers that
      // without queueing a transaction behind (and in front of) ingest on the one writer.
      if ((await read((c) => c.select(q.ANY_DUE, [now]))).length === 0) return [];
      return write((w) => tx(w, () => claimDueIn(runOn(w), now, limit, NO_LOCKS)));
    },

    async recordAttempt(monitor, attempt) {
      return write((w) => tx(w, () => recordAttemptIn(runOn(w), monitor, attempt, NO_LOCKS)));
    },

    async monitorSlots(keyId, from, to, slotMs) {
      return q.slotsFromRows(await read((c) => c.select(q.MONITOR_SLOTS, [keyId, from, slotMs, to])));
    },

    async getAlertSettings(keyId) {
      return q.alertsFromRow((await read((c) => c.select(q.SELECT_ALERTS, [keyId])))[0], threshold);
    },

    async putAlertSettings(keyId, settings) {
      await write(async (w) => {
        if (!db.keyExists(keyId)) throw new UnknownKeyError();
        await w.changes(q.UPSERT_ALERTS, [keyId, settings.webhookUrl, settings.threshold]);
      });
    },

    async deleteAttemptsBefore(cutoff) {
      return write((w) => w.changes(q.DELETE_ATTEMPTS_BEFORE, [cutoff]));
    },
  };
}

/** Deletes a key's monitors, attempts and alert settings (inside the key deletion's transaction). */
export async function deleteDuckDbKeyMonitoring(
  w: Conn,
  keyId: number,
): Promise<{ monitors: number; pings: number }> {
  const monitors = await w.changes(q.DELETE_KEY_MONITORS, [keyId]);
  const pings = await w.changes(q.DELETE_KEY_ATTEMPTS, [keyId]);
  await w.changes(q.DELETE_KEY_ALERTS, [keyId]);
  return { monitors, pings };
}
