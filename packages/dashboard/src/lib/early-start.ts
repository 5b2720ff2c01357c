// A visit to a dashboard URL needs three things from the network: the dashboard page's chunk,
// the world map's chunk and the figures. Left to the page, they would go one after another (the
// chunk loads, the page mounts, its first effect asks for the figures, the countries card asks
// for the map). So the entry starts all three at once, before anything renders, and the page
// takes the figures it finds waiting: only for the same API URL, and only once (a reload, Live or
// a new view asks the collector again).
import { call, dashboardUrl } from './api.js';
import type { DashboardResponse } from './api-types.js';
import { warmFormats } from './format.js';
import { matchPath } from './router.svelte.js';
import { browserZone, parseView } from './view-state.svelte.js';

/** The dashboard page's module (one chunk, shared by the router and {@link startEarly}). */
export const loadDashboardPage = () => import('../pages/dashboard-page.svelte');

interface Early {
  url: string;
  response: Promise<DashboardResponse>;
  /** The figures once they are in (so the page can draw them in its first render). */
  value?: DashboardResponse;
}
let early: Early | null = null;

/**
 * On a `/dashboard/<id>` URL: starts loading the page's chunk and the figures of the URL's view,
 * in parallel. Elsewhere: nothing.
 */
export function startEarly(): void {
  const { page, id } = matchPath(location.pathname);
  if (page !== 'dashboard' || !id) return;
  const view = parseView(location.search);
  const url = dashboardUrl(id, view);
  const started: Early = { url, response: call<DashboardResponse>(url) };
  started.response.then(
    (value) => {
      started.value = value;
    },
    // Not lost: whoever takes the promise sees the failure.
    () => {},
  );
  early = started;
  // A failure shows where the router imports the page again.
  loadDashboardPage().catch(() => {});
  // The map's chunk too, rather than once the page's chunk has run (world-map.svelte imports it
  // then, and finds it loaded or loading). A failure shows in the countries card.
  import('virtual:world-map').catch(() => {});
  // The number and country-name formats the cards use, made while the figures are on their way.
  setTimeout(() => warmFormats(view.tz ?? browserZone()), 0);
}

/**
 * Resolves once the figures {@link startEarly} asked for are in (or failed), or after `ms`,
 * whichever comes first; at once when there are none pending.
 */
export function earlyFigures(ms: number): Promise<void> {
  const pending = early;
  if (!pending || pending.value) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    pending.response.then(done, done);
  });
}

/**
 * The figures {@link startEarly} asked for, if they are for `url` and nobody took them yet:
 * `value` when already in, else the pending `response`. `null` otherwise (ask the collector).
 */
export function takeEarly(
  url: string,
): { value?: DashboardResponse; response: Promise<DashboardResponse> } | null {
  const taken = early;
  early = null; // only the page's first request may use it
  return taken && taken.url === url ? taken : null;
}
