import { ID_SQL, type NewRequestRow, REQUEST_COLUMNS, type SqlTypes, type StoredRow } from '../columns.js';
import { compileRow, field, identifier } from '../row-code.js';
import type { KeyRecord, RowQuery } from '../types.js';

/** Table aliases of the row query: requests `r`, user_agents `u`. */
const ALIAS = { requests: 'r', user_agents: 'u' } as const;

/** Columns of a data API row (`r.id`, then the table's columns in order), joined with the user agent table. */
export const SELECT_ROWS = `SELECT r.id, ${REQUEST_COLUMNS.map((c) => field(ALIAS[c.table], c.name)).join(', ')}
FROM requests r LEFT JOIN user_agents u ON u.id = r.user_agent_id`;

/** The i-th (1-based) placeholder: both stores (DuckDB, PostgreSQL) number them `$1`, `$2`, …. */
const p = (index: number) => `$${index}`;

/**
 * Builds the WHERE/ORDER/LIMIT tail of a row query. Values only ever travel as parameters.
 */
export function buildRowQuery(
  keyId: number,
  q: RowQuery,
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
  // Keyset cursors as a row comparison, not `a > x OR (a = x AND id > y)`: PostgreSQL turns only
  // this form into an index range on (key_id, created_at, id); the OR form rescans from the start
  // for every chunk. The plain bound on created_at beside it is for DuckDB, which skips row
  // groups by their min/max only on plain bounds (a 5M-row key: 16 ms a chunk instead of 780).
  const cursor = (op: '>' | '>=', c: { createdAt: number; id: number }) => {
    params.push(c.createdAt, c.createdAt, c.id);
    const n = params.length;
    where.push(`r.created_at >= ${p(n - 2)} AND (r.created_at, r.id) ${op} (${p(n - 1)}, ${p(n)})`);
  };
  if (q.after !== undefined) cursor('>', q.after);
  if (q.start !== undefined) cursor('>=', q.start);
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
export function boundaryQuery(keyId: number, q: RowQuery): { sql: string; params: unknown[] } {
  return buildRowQuery(keyId, { ...q, limit: 1 }, SELECT_BOUNDARY);
}

/** A statement and its parameters, as the builders above return them. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/**
 * Reads rows of one key in (created_at, id) order, the same way in every store: a deep page
 * first finds its boundary (see boundaryQuery), then reads a keyset range. `run` executes a
 * query and returns its rows as arrays in SELECT order.
 */
export async function readRows(
  keyId: number,
  query: RowQuery,
  run: (query: SqlQuery) => unknown[][] | Promise<unknown[][]>,
): Promise<StoredRow[]> {
  let q = query;
  if (q.offset) {
    const b = (await run(boundaryQuery(keyId, q)))[0];
    if (!b) return [];
    q = { ...q, offset: undefined, start: { createdAt: b[0] as number, id: b[1] as number } };
  }
  return (await run(buildRowQuery(keyId, q))).map(fromArray);
}

/**
 * A row read as an array (columns of SELECT_ROWS, in order) as a StoredRow. Compiled to one
 * object literal: drivers build objects for every row more slowly than it (measured on
 * 50 000-row pages).
 */
export const fromArray = compileRow<(a: unknown[]) => StoredRow>(
  ['a'],
  `return { id: a[0], ${REQUEST_COLUMNS.map((c, i) => `${identifier(c.name)}: a[${i + 1}]`).join(', ')} };`,
);

/** A column of `requests` that a batch writes, and where its value comes from. */
export interface InsertColumn {
  /** Column of the `requests` table. */
  readonly name: string;
  readonly sql: SqlTypes;
  /** Field of the row holding the value; `null` for `user_agent_id`, the id of the row's user agent. */
  readonly field: keyof NewRequestRow | null;
}

/**
 * What a batch writes into `requests` after `key_id`, in table order: every column ingest
 * supplies, the user agent as its id in `user_agents`. Stores build their INSERT (or appender)
 * from this list.
 */
export const INSERT_COLUMNS: readonly InsertColumn[] = REQUEST_COLUMNS.flatMap((c): InsertColumn[] => {
  if (c.field === null) return [];
  if (c.table === 'user_agents') return [{ name: 'user_agent_id', sql: ID_SQL, field: null }];
  return [{ name: c.name, sql: c.sql, field: c.field }];
});

/** `INSERT INTO requests (key_id, …)` — the statement head every store's batch insert shares. */
export const INSERT_INTO = `INSERT INTO requests (key_id, ${INSERT_COLUMNS.map((c) => c.name).join(', ')})`;

/** Source of each INSERT_COLUMNS value in compiled code: `r.<field>`, or `ua` (the user agent id). */
const VALUES = INSERT_COLUMNS.map((c) => (c.field === null ? 'ua' : field('r', c.field)));

/**
 * Writes a row's values into one array per column (`columns[c][i]`, INSERT_COLUMNS order), for
 * drivers that take a batch column by column (PostgreSQL's `unnest`). Compiled, like the above.
 */
export const fillInsertColumns = compileRow<
  (columns: unknown[][], i: number, row: NewRequestRow, userAgentId: number | null) => void
>(['c', 'i', 'r', 'ua'], VALUES.map((v, n) => `c[${n}][i] = ${v};`).join(' '));

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
