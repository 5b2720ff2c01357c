// The dashboard's whole view — period, zone, filters, exclusions, hidden endpoints, auto-refresh —
// is the query string of the page's URL. It is parsed from the URL (so a reload or a shared link
// restores it) and every change is a navigation (so Back undoes a drill-in). The same parameter
// names go to the dashboard API, so a view URL and its API request read the same.
import type { PeriodName, StatusClass } from './api-types.js';
import { navigate, route } from './router.svelte.js';

/** A period chosen by name; `custom` is a from/to range. */
export type FixedPeriod = Exclude<PeriodName, 'custom'>;

/** The period buttons, in order. */
export const PERIODS: ReadonlyArray<{ value: FixedPeriod; label: string; long: string }> = [
  { value: '24h', label: '24h', long: 'last 24 hours' },
  { value: '7d', label: '7d', long: 'last 7 days' },
  { value: '30d', label: '30d', long: 'last 30 days' },
  { value: '6m', label: '6m', long: 'last 6 months' },
  { value: '1y', label: '1y', long: 'last 12 months' },
  { value: 'all', label: 'All', long: 'all time' },
];

/** The period when the URL names none. @default '7d' */
export const DEFAULT_PERIOD: FixedPeriod = '7d';

/** Click-to-filter keys (the API's parameter names) and how a chip names them. */
export const FILTER_LABELS = {
  hostname: 'Hostname',
  method: 'Method',
  endpoint: 'Endpoint',
  status: 'Status',
  statusClass: 'Status',
  country: 'Country',
  browser: 'Browser',
  os: 'OS',
  device: 'Device',
  user: 'User',
  version: 'Version',
} as const;

export type FilterKey = keyof typeof FILTER_LABELS;
export const FILTER_KEYS = Object.keys(FILTER_LABELS) as FilterKey[];
export const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx'];

/** Auto-refresh interval when turned on. */
export const REFRESH_MS = 30_000;

/** What the page shows. */
export interface View {
  period: PeriodName;
  /** Range of a `custom` period: `YYYY-MM-DD` days (the API counts `to`'s whole day) or ISO instants. */
  from: string | null;
  to: string | null;
  /** IANA zone; `null` follows the browser. */
  tz: string | null;
  filters: Partial<Record<FilterKey, string>>;
  exclude404: boolean;
  excludeBots: boolean;
  /** Endpoint patterns hidden from every figure; `*` matches anything. */
  hide: string[];
  /** Reload every 30 s. */
  refresh: boolean;
}

const FIXED = new Set<string>(PERIODS.map((p) => p.value));

/** The browser's time zone (the default). */
export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Reads a view from a query string; unknown parameters are dropped, a bad period falls back. */
export function parseView(search: string): View {
  const q = new URLSearchParams(search);
  const from = q.get('from');
  const to = q.get('to');
  const named = q.get('period') ?? DEFAULT_PERIOD;
  const filters: View['filters'] = {};
  for (const key of FILTER_KEYS) {
    const value = q.get(key);
    if (value !== null && value !== '') filters[key] = value;
  }
  return {
    period: from && to ? 'custom' : FIXED.has(named) ? (named as FixedPeriod) : DEFAULT_PERIOD,
    from: from && to ? from : null,
    to: from && to ? to : null,
    tz: q.get('tz') || null,
    filters,
    exclude404: q.get('exclude404') === 'true',
    excludeBots: q.get('excludeBots') === 'true',
    hide: q.getAll('hide').filter(Boolean),
    refresh: q.get('refresh') === '30',
  };
}

/**
 * The view as query parameters. For the URL, defaults are left out; for the API the zone is
 * always sent and page-only settings (auto-refresh) are not.
 */
export function viewParams(view: View, target: 'url' | 'api'): URLSearchParams {
  const q = new URLSearchParams();
  if (view.period === 'custom' && view.from && view.to) {
    q.set('from', view.from);
    q.set('to', view.to);
  } else if (view.period !== DEFAULT_PERIOD || target === 'api') q.set('period', view.period);
  if (target === 'api') q.set('tz', view.tz ?? browserZone());
  else if (view.tz) q.set('tz', view.tz);
  for (const key of FILTER_KEYS) {
    const value = view.filters[key];
    if (value !== undefined) q.set(key, value);
  }
  if (view.exclude404) q.set('exclude404', 'true');
  if (view.excludeBots) q.set('excludeBots', 'true');
  for (const h of view.hide) q.append('hide', h);
  if (view.refresh && target === 'url') q.set('refresh', '30');
  return q;
}

const current = $derived(parseView(route.search));

/** The current view (reactive). */
export function getView(): View {
  return current;
}

/** Applies a change to the view by navigating to its URL. */
export function updateView(change: (v: View) => Partial<View>, options: { replace?: boolean } = {}): void {
  const next = { ...current, ...change(current) };
  const qs = viewParams(next, 'url').toString();
  navigate(`${route.path}${qs ? `?${qs}` : ''}`, options);
}

/** Sets filters (click-to-filter); clicking the value already filtered on removes it. */
export function toggleFilters(values: Partial<Record<FilterKey, string>>): void {
  updateView((v) => {
    const entries = Object.entries(values) as Array<[FilterKey, string]>;
    const same = entries.every(([k, value]) => v.filters[k] === value);
    const filters = { ...v.filters };
    for (const [k, value] of entries) {
      if (same) delete filters[k];
      else filters[k] = value;
    }
    return { filters };
  });
}

/** Removes one filter (a chip's ×). */
export function removeFilter(key: FilterKey): void {
  updateView((v) => {
    const filters = { ...v.filters };
    delete filters[key];
    return { filters };
  });
}
