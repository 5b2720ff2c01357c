// Which page a path names. Plain TypeScript, loaded by the early-start entry before the app.

/** Splits `/dashboard/<id>` style paths: the page's name and its id, if any. */
export function matchPath(path: string): { page: string; id?: string } {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'home' };
  if (parts.length === 1) return { page: parts[0]! };
  if (parts.length === 2) return { page: parts[0]!, id: decodeURIComponent(parts[1]!) };
  return { page: 'not-found' };
}
