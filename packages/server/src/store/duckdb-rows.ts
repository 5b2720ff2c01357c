import {
  DOUBLE,
  type DuckDBConnection,
  DuckDBTableFunction,
  type DuckDBType,
  INTEGER,
  SMALLINT,
  UBIGINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { NewRequestRow } from '../columns.js';
import { apiVersion, Identities } from './duckdb-derive.js';
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

/**
 * What the table function returns: the staged columns, then two of the dashboard's derived
 * columns computed while staging (duckdb-derive.ts). DuckDB derives them from the staged
 * columns for `importCsv` instead.
 */
const FUNCTION_COLUMNS: ReadonlyArray<[string, DuckDBType]> = [
  ...STAGED,
  ['version', VARCHAR],
  ['identity', UBIGINT],
];
const VERSION_AT = STAGED.length;
const IDENTITY_AT = STAGED.length + 1;

/**
 * The INSERT of a staged group: its columns, `endpoint` (a `coalesce`, cheap in SQL) and the
 * `version` and `identity` staged with it.
 */
export const INSERT_STAGED = `INSERT INTO requests (${STAGED.map(([name]) => name).join(', ')}, endpoint, version, identity)
SELECT ${STAGED_SELECT.join(', ')}, coalesce(route, path), version, identity FROM ${ROWS_FUNCTION}()`;

/** One chunk's worth of rows, column by column, in the table function's column order. */
type ColumnChunk = unknown[][];

/**
 * Hands batches to DuckDB as a table function, so that a group of batches is stored by one
 * `INSERT INTO requests … SELECT … FROM apilens_staged_rows()`: the statement runs (and
 * commits, and fsyncs the WAL) on DuckDB's threads, while the event loop only copies values
 * into DuckDB's vectors when DuckDB asks for the next chunk. An appender would also flush on the
 * event loop, which took as long again as filling the vectors.
 *
 * The function takes no parameter and returns the one group staged now: the writer connection
 * runs one INSERT at a time, so there is never more than one. A parameter (a token naming the
 * group) made DuckDB bind and plan the prepared INSERT again on every execution, a call into
 * the event loop and 3 ms per group more (measured: 3.5 against 0.5 ms for a 10-row INSERT).
 */
export class StagedRows {
  private current: ColumnChunk[] | undefined;
  private readonly identities = new Identities();

  /** Registers the table function on the connection that inserts. */
  register(connection: DuckDBConnection): void {
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name: ROWS_FUNCTION,
        bindFunction: (info) => {
          for (const [name, type] of FUNCTION_COLUMNS) info.addResultColumn(name, type);
        },
        initFunction: (info) => info.setInitData({ next: 0 }),
        mainFunction: (info, output) => {
          const state = info.initData as { next: number };
          const chunk = this.current?.[state.next++];
          output.rowCount = chunk ? chunk[0]!.length : 0;
          if (chunk)
            for (let c = 0; c < FUNCTION_COLUMNS.length; c++) output.setColumnValues(c, chunk[c] as never);
        },
      }),
    );
  }

  /**
   * Stages rows (`[keyId, row, userAgentId]`, given their first id) as the group the table
   * function returns, until {@link release}. Refuses to replace a group not yet released.
   */
  stage(firstId: number, rows: Iterable<[number, NewRequestRow, number | null]>): void {
    if (this.current)
      throw new Error('@apilens/server: a DuckDB group is staged already (a bug: release it first)');
    const chunks: ColumnChunk[] = [];
    let cols: ColumnChunk = [];
    let values: ColumnChunk = []; // the INSERT_COLUMNS part of `cols`
    let n = CHUNK_ROWS;
    let id = firstId;
    for (const [keyId, row, ua] of rows) {
      if (n === CHUNK_ROWS) {
        cols = FUNCTION_COLUMNS.map(() => new Array<unknown>(CHUNK_ROWS));
        values = cols.slice(2);
        chunks.push(cols);
        n = 0;
      }
      cols[0]![n] = id++;
      cols[1]![n] = keyId;
      fillInsertColumns(values, n, row, ua);
      cols[VERSION_AT]![n] = apiVersion(row.path);
      cols[IDENTITY_AT]![n] = this.identities.of(row.userId, row.ipAddress);
      n++;
    }
    if (n < CHUNK_ROWS) for (const col of cols) col.length = n;
    this.current = chunks;
  }

  /** Drops the staged group: the table function returns no rows until the next one. */
  release(): void {
    this.current = undefined;
  }
}
