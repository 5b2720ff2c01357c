// A small history router: the page is chosen from the path, the view state lives in the query
// string. Links inside the app are plain <a href> elements; clicks on them are intercepted here.

/** Where the app is: the path and the query string of `location`. */
export const route = $state({ path: location.pathname, search: location.search });

function sync(): void {
  route.path = location.pathname;
  route.search = location.search;
}

/**
 * Goes to an in-app URL. `replace` rewrites the current history entry (for refinements that
 * Back should skip), otherwise a new entry is pushed so Back undoes a drill-in.
 */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  const url = new URL(href, location.href);
  if (url.origin !== location.origin) throw new Error(`@apilens/dashboard: not an in-app URL: ${href}`);
  const next = url.pathname + url.search + url.hash;
  if (next === location.pathname + location.search + location.hash) return;
  if (options.replace) history.replaceState(null, '', next);
  else history.pushState(null, '', next);
  const pageChanged = url.pathname !== route.path;
  sync();
  if (pageChanged) window.scrollTo(0, 0);
}

/** Starts listening to Back/Forward and to clicks on same-origin links. */
export function startRouter(): void {
  window.addEventListener('popstate', sync);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
    // The API (exports, raw JSON) is not a page of the app.
    if (a.pathname.startsWith('/api/')) return;
    event.preventDefault();
    navigate(a.href);
  });
}

/** Splits `/dashboard/<id>` style paths: the page's name and its id, if any. */
export function matchPath(path: string): { page: string; id?: string } {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'home' };
  if (parts.length === 1) return { page: parts[0]! };
  if (parts.length === 2) return { page: parts[0]!, id: decodeURIComponent(parts[1]!) };
  return { page: 'not-found' };
}
