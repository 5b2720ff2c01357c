import { SELECT_ROWS, type SqlQuery } from '../store/sql.js';
import type { RowQuery, SqlDialect } from '../types.js';
import type { DashboardRequest, ResolvedPeriod } from './query.js';
import { SqlBuilder, whereClause } from './sql.js';

/**
 * The query of the next rows of a dashboard export: the key's rows of the period that pass every
 * filter, in (created_at, id) order, at most `limit`, after the keyset cursor when given; the
 * data API's columns (SELECT_ROWS), which the export's text is written from.
 */
export function exportQuery(
  dialect: SqlDialect,
  keyId: number,
  request: DashboardRequest,
  period: ResolvedPeriod,
  limit: number,
  after?: RowQuery['after'],
): SqlQuery {
  const b = new SqlBuilder(dialect);
  let where = whereClause(b, keyId, [period.from, period.to], request.filters);
  if (after) {
    // As the data API's cursor (store/sql.ts): a plain bound for DuckDB's row-group pruning, the
    // row comparison for PostgreSQL's index range.
    const t = b.p(after.createdAt, 'BIGINT');
    where += ` AND r.created_at >= ${t} AND (r.created_at, r.id) > (${t}, ${b.p(after.id, 'BIGINT')})`;
  }
  return {
    sql: `${SELECT_ROWS}\nWHERE ${where}\nORDER BY r.created_at, r.id LIMIT ${b.p(limit)}`,
    params: b.params,
  };
}
