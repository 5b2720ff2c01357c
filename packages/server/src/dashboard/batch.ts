import type { SqlReader } from '../types.js';
import { SqlBuilder } from './sql.js';

/** The columns of `requests` that the figure queries read. */
const COLUMNS =
  'id, created_at, hostname, ip_address, user_id, location, user_agent_id, method, status, response_time, endpoint, version, identity';

/**
 * Figure queries gathered into one DuckDB statement that filters the key's rows once: a
 * MATERIALIZED CTE `f` holds the rows matching the request's filters (both periods), each query
 * reads `f` instead of `requests`, and the statement returns one row with one list per query.
 *
 * Why: with filters, each of the dozen figure queries used to scan and filter the key's rows of
 * the period on its own (a string comparison per row, 12-40 ms of CPU each at 1 M rows) to then
 * aggregate a small share of them. Read once, the filter costs once and the aggregates run on
 * the few matching rows. Without filters the rows are not copied (see engine.ts).
 */
export class FilteredBatch {
  b = new SqlBuilder('duckdb');
  private parts: Array<{ sql: string; resolve(rows: unknown[][]): void; reject(e: unknown): void }> = [];
  /** `f r WHERE true`: the batch's rows (of the current period), as the queries' `rows()`. */
  rows(): string {
    return 'f r WHERE true';
  }

  /** Queues one query (built with {@link b}); resolves with its rows when the batch runs. */
  add(sql: string): Promise<unknown[][]> {
    return new Promise((resolve, reject) => this.parts.push({ sql, resolve, reject }));
  }

  /**
   * Runs the queued queries as one statement; `where(b)` gives the conditions on `requests r`
   * (key, period, filters). Settles every queued promise, never throws; the batch is empty and
   * reusable afterwards.
   */
  async run(select: SqlReader['select'], where: (b: SqlBuilder) => string): Promise<void> {
    const { b, parts } = this;
    this.b = new SqlBuilder('duckdb');
    this.parts = [];
    if (parts.length === 0) return;
    // Each query's rows become one list of structs (its columns in order).
    const lists = parts.map((p, i) => `(SELECT list(x) FROM (${p.sql}) x) AS q${i}`).join(',\n');
    const sql = `WITH f AS MATERIALIZED (SELECT ${COLUMNS} FROM requests r WHERE ${where(b)})
      SELECT ${lists}`;
    try {
      const [row] = await select(sql, b.params);
      parts.forEach((p, i) => {
        p.resolve(
          ((row![i] as Array<Record<string, unknown>> | null) ?? []).map((x) => Object.values(x).map(plain)),
        );
      });
    } catch (e) {
      for (const p of parts) p.reject(e);
    }
  }
}

/** 64-bit integers inside structs come back as bigint: numbers, like the reader's top-level values. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
