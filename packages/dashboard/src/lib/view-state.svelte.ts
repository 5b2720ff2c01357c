// The dashboard's whole view — period, zone, filters, exclusions, hidden endpoints, auto-refresh —
// is the query string of the page's URL. It is parsed from the URL (so a reload or a shared link
// restores it) and every change is a navigation (so Back undoes a drill-in). The same parameter
// names go to the dashboard API, so a view URL and its API request read the same.
import { navigate, route } from './router.svelte.js';
import { type FilterKey, parseView, type View, viewParams } from './view.js';

export * from './view.js';

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
