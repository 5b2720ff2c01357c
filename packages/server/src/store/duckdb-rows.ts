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
import duckdb from '@duckdb/node-bindings';
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
 * A column of a chunk as DuckDB's vector holds it: numbers in a typed array of the column's
 * width, copied in one call; text as strings, handed over one by one. `validity` is DuckDB's
 * bitmap (bit i of the little-endian 64-bit word i / 64 set when row i is not NULL), `null`
 * when every row has a value.
 */
interface ReadyColumn {
  values: Float64Array | Int16Array | Int32Array | BigUint64Array | unknown[];
  validity: Uint32Array | null;
}

/** The typed array that holds a column of `type` the way DuckDB's vector does; `null` for text. */
function typedArray(
  type: DuckDBType,
  n: number,
): Float64Array | Int16Array | Int32Array | BigUint64Array | null {
  if (type === DOUBLE) return new Float64Array(n);
  if (type === SMALLINT) return new Int16Array(n);
  if (type === INTEGER) return new Int32Array(n);
  if (type === UBIGINT) return new BigUint64Array(n);
  return null;
}

/**
 * A staged column made ready to hand over, off DuckDB's clock: done while staging, so that the
 * table function's callback (during which DuckDB's thread waits) only copies. The driver's own
 * `setColumnValues` did this inside the callback, with two BigInt operations per value of every
 * column holding a NULL.
 */
function ready(values: unknown[], type: DuckDBType): ReadyColumn {
  const n = values.length;
  let validity: Uint32Array | null = null;
  const typed = typedArray(type, n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (!validity) validity = new Uint32Array(Math.ceil(n / 64) * 2).fill(0xffffffff);
      validity[i >>> 5]! &= ~(1 << (i & 31));
    } else if (typed) typed[i] = v as never;
  }
  return { values: typed ?? values, validity };
}

/** Writes a ready column into DuckDB's vector of `rows` rows. */
function write(vector: duckdb.Vector, column: ReadyColumn, rows: number): void {
  const { values, validity } = column;
  if (Array.isArray(values)) {
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) duckdb.vector_assign_string_element(vector, i, v as string);
    }
  } else {
    duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset, values.byteLength);
  }
  if (validity) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, 0, validity.byteLength);
  }
}

/**
 * Hands batches to DuckDB as a table function, so that a group of batches is stored by one
 * `INSERT INTO requests … SELECT … FROM apilens_staged_rows()`: the statement runs (and
 * commits, and fsyncs the WAL) on DuckDB's threads, while the event loop only copies values
 * into DuckDB's vectors when DuckDB asks for the next chunk (through the bindings, not the
 * driver's `setColumnValues`: about a quarter less of the event loop's time per row, measured in
 * docs/benchmarks.md). An appender would also flush on the event loop, which took as long again
 * as filling the vectors.
 *
 * The function takes no parameter and returns the one group staged now: the writer connection
 * runs one INSERT at a time, so there is never more than one. A parameter (a token naming the
 * group) made DuckDB bind and plan the prepared INSERT again on every execution, a call into
 * the event loop and 3 ms per group more (measured: 3.5 against 0.5 ms for a 10-row INSERT).
 */
export class StagedRows {
  private current: { rows: number; columns: ReadyColumn[] }[] | undefined;
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
          const rows = chunk ? chunk.rows : 0;
          duckdb.data_chunk_set_size(output.chunk, rows);
          if (chunk)
            for (let c = 0; c < FUNCTION_COLUMNS.length; c++)
              write(duckdb.data_chunk_get_vector(output.chunk, c), chunk.columns[c]!, rows);
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
    this.current = chunks.map((chunk) => ({
      rows: chunk[0]!.length,
      columns: chunk.map((values, c) => ready(values, FUNCTION_COLUMNS[c]![1])),
    }));
  }

  /** Drops the staged group: the table function returns no rows until the next one. */
  release(): void {
    this.current = undefined;
  }
}
