import type { StoredMonitor } from './store-types.js';
import type {
  MonitorInfo,
  MonitoringPeriod,
  MonitoringResponse,
  MonitorReport,
  MonitorState,
} from './types.js';
import { buildSlots, PERIOD_NAMES, PERIODS, periodLayout, type SlotAggregate, uptimeOf } from './uptime.js';

/** What the API shows of a monitor: its settings, without its health. */
export function monitorInfo(m: StoredMonitor): MonitorInfo {
  return {
    id: m.id,
    url: m.url,
    method: m.method,
    intervalSeconds: m.intervalSeconds,
    expectStatus: m.expectStatus,
    createdAt: m.createdAt,
  };
}

/**
 * A monitor's state for the page: the alerting state, except `unknown` when the last attempt is
 * older than two intervals plus the timeout, and at least a minute (no pinger is running, so
 * nothing is known now).
 */
export function currentState(
  m: StoredMonitor,
  now: number,
  timeoutMs: number,
): { state: MonitorState; since: number | null } {
  const last = m.lastAttempt;
  // At least a minute: with the short intervals tests use, a busy machine must not read as stale.
  if (!last || now - last.at > Math.max(2 * m.intervalSeconds * 1000 + timeoutMs, 60_000))
    return { state: 'unknown', since: null };
  return { state: m.health.state, since: m.health.since };
}

/** Where the oldest slot of the longest period starts: what a report needs the store to sum from. */
export function reportStart(now: number): number {
  return Math.min(...PERIOD_NAMES.map((p) => periodLayout(p, now).from));
}

/**
 * Everything the monitoring page draws, from the key's monitors and their attempts summed per
 * base slot since {@link reportStart}: per monitor its state, uptime over each period, and the
 * asked period's slots.
 */
export function buildReport(
  period: MonitoringPeriod,
  now: number,
  monitors: readonly StoredMonitor[],
  aggregates: ReadonlyMap<string, readonly SlotAggregate[]>,
  timeoutMs: number,
): MonitoringResponse {
  const layout = periodLayout(period, now);
  const reports = monitors.map((m): MonitorReport => {
    const mine = aggregates.get(m.id) ?? [];
    const uptime = {} as Record<MonitoringPeriod, number | null>;
    for (const p of PERIOD_NAMES) {
      const l = periodLayout(p, now);
      uptime[p] = uptimeOf(l, buildSlots(l, mine));
    }
    const { state, since } = currentState(m, now, timeoutMs);
    return {
      ...monitorInfo(m),
      state,
      stateSince: since,
      lastAttempt: m.lastAttempt,
      uptime,
      slots: buildSlots(layout, mine),
    };
  });
  return { period, from: layout.from, to: now, slotMs: PERIODS[period].slotMs, monitors: reports };
}
