import type { Store } from '../types.js';
import type { MonitorHealth } from './alerts.js';
import type { PingerStore } from './pinger.js';
import type { AlertSettings, Attempt, MonitorInfo } from './types.js';
import type { SlotAggregate } from './uptime.js';

/** A monitor as stored, with where it stands. */
export interface StoredMonitor extends MonitorInfo {
  keyId: number;
  health: MonitorHealth;
  lastAttempt: Attempt | null;
}

/** A monitor to create. */
export interface NewMonitor extends MonitorInfo {
  keyId: number;
  /** When its first attempt is due ({@link firstDueAt}). */
  nextDueAt: number;
}

/** Why a monitor was not created. */
export type CreateMonitorRefusal =
  | { refused: 'limit'; count: number }
  | { refused: 'duplicate'; existing: StoredMonitor };

/** The monitoring part of a store; DuckDB and PostgreSQL implement it and pass the same tests. */
export interface MonitorStore extends PingerStore {
  /**
   * Creates a monitor unless the key already has `maxPerKey` of them or one with the same method
   * and URL; the check and the insert are one transaction, so concurrent requests cannot exceed
   * the limit.
   */
  createMonitor(monitor: NewMonitor, maxPerKey: number): Promise<StoredMonitor | CreateMonitorRefusal>;
  /** A key's monitors, oldest first. */
  listMonitors(keyId: number): Promise<StoredMonitor[]>;
  /** Deletes a key's monitor and its attempts; `monitors` is 0 when the key has no such monitor. */
  deleteMonitor(keyId: number, monitorId: string): Promise<{ monitors: number; pings: number }>;
  /**
   * A key's attempts in `[from, to)` summed per monitor and per `slotMs` slot (slots start at
   * multiples of `slotMs` since the epoch).
   */
  monitorSlots(
    keyId: number,
    from: number,
    to: number,
    slotMs: number,
  ): Promise<Map<string, SlotAggregate[]>>;
  /** The key's alert settings (defaults when never set). */
  getAlertSettings(keyId: number): Promise<AlertSettings>;
  putAlertSettings(keyId: number, settings: AlertSettings): Promise<void>;
  /** Deletes attempts older than `cutoff`; returns how many. */
  deleteAttemptsBefore(cutoff: number): Promise<number>;
}

/**
 * The store's monitoring methods, or `null` for a custom store without them: the routes answer
 * 501 and the pinger does not start.
 */
export function monitorStoreOf(store: Store): (Store & MonitorStore) | null {
  return typeof store.createMonitor === 'function' ? (store as Store & MonitorStore) : null;
}
