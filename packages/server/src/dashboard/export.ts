import type { StoredRow } from '../columns.js';
import { fromArray, SELECT_ROWS } from '../store/sql.js';
import type { RowQuery, SqlReader } from '../types.js';
import type { DashboardRequest, ResolvedPeriod } from './query.js';
import { SqlBuilder, whereClause } from './sql.js';

/**
 * The next rows of a dashboard export: the key's rows of the period that pass every filter, in
 * (created_at, id) order, at most `limit`, after the keyset cursor when given. The columns of
 * the data API (its writers write them).
 */
export async function exportRows(
  reader: SqlReader,
  keyId: number,
  request: DashboardRequest,
  period: ResolvedPeriod,
  limit: number,
  after?: RowQuery['after'],
): Promise<StoredRow[]> {
  const b = new SqlBuilder(reader.dialect);
  let where = whereClause(b, keyId, [period.from, period.to], request.filters);
  if (after) {
    // As the data API's cursor (store/sql.ts): a plain bound for DuckDB's row-group pruning, the
    // row comparison for PostgreSQL's index range.
    const t = b.p(after.createdAt, 'BIGINT');
    where += ` AND r.created_at >= ${t} AND (r.created_at, r.id) > (${t}, ${b.p(after.id, 'BIGINT')})`;
  }
  const rows = await reader.select(
    `${SELECT_ROWS}\nWHERE ${where}\nORDER BY r.created_at, r.id LIMIT ${b.p(limit)}`,
    b.params,
  );
  return rows.map(fromArray);
}
