// Calls of the monitoring page: the page data by dashboard id (read-only), and with the API key
// the monitors and alert settings. The contract lives with the server; the import is type-only.
import type {
  AlertSettings,
  MonitorInfo,
  MonitoringPeriod,
  MonitoringResponse,
  MonitorMethod,
} from '../../../server/src/monitor/types.js';
import { call } from './api.js';

export type * from '../../../server/src/monitor/types.js';

/** The periods the page offers, shortest first. */
export const MONITORING_PERIODS: ReadonlyArray<{ value: MonitoringPeriod; label: string }> = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '60d', label: '60 days' },
];

/** Reads `?period=` (24 h when missing or unknown). */
export function periodOf(search: string): MonitoringPeriod {
  const p = new URLSearchParams(search).get('period');
  return MONITORING_PERIODS.some((x) => x.value === p) ? (p as MonitoringPeriod) : '24h';
}

/** Everything the page draws for one period. */
export function fetchMonitoring(
  id: string,
  period: MonitoringPeriod,
  signal?: AbortSignal,
): Promise<MonitoringResponse> {
  return call(`/api/monitoring/${encodeURIComponent(id)}?period=${period}`, { signal });
}

const withKey = (apiKey: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: {
    'x-auth-token': apiKey,
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
  },
});

/** The key's monitors and how many it may have. */
export function listMonitors(apiKey: string): Promise<{ monitors: MonitorInfo[]; limit: number }> {
  return call('/api/monitors', withKey(apiKey));
}

/** Adds a monitor; the collector's 4xx message says what is wrong with it. */
export function addMonitor(
  apiKey: string,
  monitor: { url: string; method: MonitorMethod; intervalSeconds: number },
): Promise<MonitorInfo> {
  return call('/api/monitors', withKey(apiKey, { method: 'POST', body: JSON.stringify(monitor) }));
}

/** Removes a monitor and its attempts. */
export function removeMonitor(apiKey: string, id: string): Promise<unknown> {
  return call(`/api/monitors/${encodeURIComponent(id)}`, withKey(apiKey, { method: 'DELETE' }));
}

/** The key's alert settings. */
export function getAlerts(apiKey: string): Promise<AlertSettings> {
  return call('/api/alerts', withKey(apiKey));
}

/** Replaces the key's alert settings. */
export function putAlerts(apiKey: string, settings: AlertSettings): Promise<AlertSettings> {
  return call('/api/alerts', withKey(apiKey, { method: 'PUT', body: JSON.stringify(settings) }));
}
