import type { KeyRecord, RowQuery, StoredRow } from '../types.js';

/** Columns of a data API row, joined with the user agent table. */
export const SELECT_ROWS = `SELECT r.id, r.hostname, r.ip_address, r.path, r.route, u.user_agent, u.browser, u.os,
  u.device, r.method, r.status, r.response_time, r.location, r.user_id, r.framework, r.created_at
FROM requests r LEFT JOIN user_agents u ON u.id = r.user_agent_id`;

/**
 * Builds the WHERE/ORDER/LIMIT tail of a row query. `p(i)` renders the i-th (1-based)
 * placeholder, so the same builder serves SQLite (`?`) and PostgreSQL (`$1`).
 * Values only ever travel as parameters.
 */
export function buildRowQuery(
  keyId: number,
  q: RowQuery,
  p: (index: number) => string,
  select: string = SELECT_ROWS,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [keyId];
  const where = [`r.key_id = ${p(1)}`];
  const add = (clause: (ph: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(p(params.length)));
  };
  if (q.from !== undefined) add((ph) => `r.created_at >= ${ph}`, q.from);
  if (q.to !== undefined) add((ph) => `r.created_at < ${ph}`, q.to);
  if (q.hostname !== undefined) add((ph) => `r.hostname = ${ph}`, q.hostname);
  if (q.ipAddress !== undefined) add((ph) => `r.ip_address = ${ph}`, q.ipAddress);
  if (q.status !== undefined) add((ph) => `r.status = ${ph}`, q.status);
  if (q.location !== undefined) add((ph) => `r.location = ${ph}`, q.location);
  if (q.userId !== undefined) add((ph) => `r.user_id = ${ph}`, q.userId);
  if (q.method !== undefined) add((ph) => `r.method = ${ph}`, q.method);
  if (q.route !== undefined) add((ph) => `r.route = ${ph}`, q.route);
  if (q.after !== undefined) {
    // A row comparison, not `a > x OR (a = x AND id > y)`: PostgreSQL turns only this form into an
    // index range on (key_id, created_at, id); the OR form rescans from the start for every chunk.
    params.push(q.after.createdAt, q.after.id);
    const n = params.length;
    where.push(`(r.created_at, r.id) > (${p(n - 1)}, ${p(n)})`);
  }
  if (q.start !== undefined) {
    params.push(q.start.createdAt, q.start.id);
    const n = params.length;
    where.push(`(r.created_at, r.id) >= (${p(n - 1)}, ${p(n)})`);
  }
  params.push(q.limit);
  let sql = `${select}\nWHERE ${where.join(' AND ')}\nORDER BY r.created_at, r.id LIMIT ${p(params.length)}`;
  if (q.offset) {
    params.push(q.offset);
    sql += ` OFFSET ${p(params.length)}`;
  }
  return { sql, params };
}

/** Only the sort key: the first step of a deep page (see pageBoundary). */
export const SELECT_BOUNDARY = 'SELECT r.created_at, r.id FROM requests r';

/**
 * Deep pages in two steps: find the (created_at, id) of the page's first row by skipping
 * `offset` entries of the sort key alone (an index-only walk, no row fetched, no join), then
 * read the page from there as a keyset range. One OFFSET over full joined rows was 5 s for
 * page 60 of a 5M-row key in PostgreSQL.
 */
export function boundaryQuery(
  keyId: number,
  q: RowQuery,
  p: (index: number) => string,
): { sql: string; params: unknown[] } {
  return buildRowQuery(keyId, { ...q, limit: 1 }, p, SELECT_BOUNDARY);
}

/**
 * A row read as an array (columns of SELECT_ROWS, in order) as a StoredRow. Drivers build
 * objects for every row more slowly than this literal does (measured on 50 000-row pages).
 */
export function fromArray(a: unknown[]): StoredRow {
  return {
    id: a[0] as number,
    hostname: a[1] as string | null,
    ip_address: a[2] as string | null,
    path: a[3] as string,
    route: a[4] as string | null,
    user_agent: a[5] as string | null,
    browser: a[6] as string | null,
    os: a[7] as string | null,
    device: a[8] as string | null,
    method: a[9] as string,
    status: a[10] as number,
    response_time: a[11] as number,
    location: a[12] as string | null,
    user_id: a[13] as string | null,
    framework: a[14] as string | null,
    created_at: a[15] as number,
  };
}

/** A row of the `keys` table as both stores return it. */
export interface KeyRow {
  id: number;
  key_hash: string;
  dashboard_id: string;
  created_at: number;
  last_used_at: number;
}

/** Maps a `keys` row to the store's key record. */
export function toKey(row: KeyRow | undefined): KeyRecord | null {
  if (!row) return null;
  return {
    id: row.id,
    keyHash: row.key_hash,
    dashboardId: row.dashboard_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
