import {
  DOUBLE,
  type DuckDBConnection,
  DuckDBTableFunction,
  type DuckDBType,
  INTEGER,
  SMALLINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { NewRequestRow } from '../columns.js';
import { fillInsertColumns, INSERT_COLUMNS } from './sql.js';

/**
 * DuckDB types of the staged columns: `id`, `key_id`, then {@link INSERT_COLUMNS}. Whole numbers
 * that need 64 bits (ids, epoch milliseconds) are staged as DOUBLE, exact below 2^53, and cast on
 * insert: a JS number goes into a DOUBLE vector as it is, where BIGINT would take a BigInt per
 * value.
 */
const TYPE_OF: Record<string, DuckDBType> = { VARCHAR, SMALLINT, INTEGER, BIGINT: DOUBLE };
const STAGED: ReadonlyArray<[string, DuckDBType]> = [
  ['id', DOUBLE],
  ['key_id', DOUBLE],
  ...INSERT_COLUMNS.map((c): [string, DuckDBType] => [c.name, TYPE_OF[c.sql.duckdb]!]),
];

/** The staged columns as the INSERT selects them: those staged as DOUBLE cast back to BIGINT. */
export const STAGED_SELECT: readonly string[] = STAGED.map(([name, type]) =>
  type === DOUBLE ? `${name}::BIGINT` : name,
);

/** DuckDB's vector size: a table function hands over at most this many rows per call. */
export const CHUNK_ROWS = 2048;

/** Name of the table function through which the writer inserts staged rows. */
export const ROWS_FUNCTION = 'apilens_staged_rows';

/** Column names of the staged rows, in order, for the INSERT's column list. */
export const STAGED_COLUMNS: readonly string[] = STAGED.map(([name]) => name);

/** Their SQL types as staged (DOUBLE for 64-bit whole numbers, see above). */
export const STAGED_TYPES: readonly string[] = STAGED.map(([, type]) => type.toString());

/** One chunk's worth of rows, column by column, in {@link STAGED_COLUMNS} order. */
type ColumnChunk = unknown[][];

/**
 * Hands batches to DuckDB as a table function, so that a group of batches is stored by one
 * `INSERT INTO requests … SELECT … FROM apilens_staged_rows($1)`: the statement runs (and
 * commits, and fsyncs the WAL) on DuckDB's threads, while the event loop only copies values
 * into DuckDB's vectors when DuckDB asks for the next chunk. An appender would also flush on the
 * event loop, which took as long again as filling the vectors.
 */
export class StagedRows {
  private readonly staged = new Map<number, ColumnChunk[]>();
  private nextToken = 1;

  /** Registers the table function on the connection that inserts. */
  register(connection: DuckDBConnection): void {
    const staged = this.staged;
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name: ROWS_FUNCTION,
        parameterTypes: [INTEGER],
        bindFunction: (info) => {
          for (const [name, type] of STAGED) info.addResultColumn(name, type);
          info.setBindData({ token: info.getParameter(0) as number });
        },
        initFunction: (info) => info.setInitData({ next: 0 }),
        mainFunction: (info, output) => {
          const chunks = staged.get((info.bindData as { token: number }).token) ?? [];
          const state = info.initData as { next: number };
          const chunk = chunks[state.next++];
          output.rowCount = chunk ? chunk[0]!.length : 0;
          if (chunk) for (let c = 0; c < STAGED.length; c++) output.setColumnValues(c, chunk[c] as never);
        },
      }),
    );
  }

  /**
   * Stages rows (`[keyId, row, userAgentId]`, given their first id) for the table function;
   * returns the token to pass to it.
   */
  stage(firstId: number, rows: Iterable<[number, NewRequestRow, number | null]>): number {
    const chunks: ColumnChunk[] = [];
    let cols: ColumnChunk = [];
    let values: ColumnChunk = []; // the INSERT_COLUMNS part of `cols`
    let n = CHUNK_ROWS;
    let id = firstId;
    for (const [keyId, row, ua] of rows) {
      if (n === CHUNK_ROWS) {
        cols = STAGED.map(() => new Array<unknown>(CHUNK_ROWS));
        values = cols.slice(2);
        chunks.push(cols);
        n = 0;
      }
      cols[0]![n] = id++;
      cols[1]![n] = keyId;
      fillInsertColumns(values, n, row, ua);
      n++;
    }
    if (n < CHUNK_ROWS) for (const col of cols) col.length = n;
    const token = this.nextToken++;
    if (this.nextToken > 2_000_000_000) this.nextToken = 1;
    this.staged.set(token, chunks);
    return token;
  }

  release(token: number): void {
    this.staged.delete(token);
  }
}
