import {
  BIGINT,
  type DuckDBConnection,
  DuckDBTableFunction,
  type DuckDBType,
  INTEGER,
  SMALLINT,
  VARCHAR,
} from '@duckdb/node-api';

/** Columns of `requests`, in table order, with their DuckDB types. */
const COLUMNS: ReadonlyArray<[string, DuckDBType]> = [
  ['id', BIGINT],
  ['key_id', BIGINT],
  ['created_at', BIGINT],
  ['hostname', VARCHAR],
  ['ip_address', VARCHAR],
  ['path', VARCHAR],
  ['route', VARCHAR],
  ['user_agent_id', INTEGER],
  ['method', VARCHAR],
  ['status', SMALLINT],
  ['response_time', INTEGER],
  ['location', VARCHAR],
  ['user_id', VARCHAR],
  ['framework', VARCHAR],
];

/** DuckDB's vector size: a table function hands over at most this many rows per call. */
export const CHUNK_ROWS = 2048;

/** One chunk's worth of rows, column by column, in {@link COLUMNS} order. */
export type ColumnChunk = unknown[][];

/** An empty chunk to fill, each column sized for {@link CHUNK_ROWS} rows. */
export function newChunk(): ColumnChunk {
  return COLUMNS.map(() => new Array<unknown>(CHUNK_ROWS));
}

/** Name of the table function through which the writer inserts staged rows. */
export const ROWS_FUNCTION = 'apilens_staged_rows';

/**
 * Hands batches to DuckDB as a table function, so that a batch is stored by one
 * `INSERT INTO requests SELECT * FROM apilens_staged_rows($1)`: the statement runs (and commits,
 * and fsyncs its WAL) on DuckDB's threads, while the event loop only copies values into DuckDB's
 * vectors when DuckDB asks for the next chunk. An appender would also flush on the event loop,
 * which took as long again as filling the vectors.
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
          for (const [name, type] of COLUMNS) info.addResultColumn(name, type);
          info.setBindData({ token: info.getParameter(0) as number });
        },
        initFunction: (info) => info.setInitData({ next: 0 }),
        mainFunction: (info, output) => {
          const chunks = staged.get((info.bindData as { token: number }).token) ?? [];
          const state = info.initData as { next: number };
          const chunk = chunks[state.next++];
          const rows = chunk ? (chunk[0]!.length as number) : 0;
          output.rowCount = rows;
          if (chunk) for (let c = 0; c < COLUMNS.length; c++) output.setColumnValues(c, chunk[c] as never);
        },
      }),
    );
  }

  /** Makes chunks readable by the table function; returns the token to pass to it. */
  stage(chunks: ColumnChunk[]): number {
    const token = this.nextToken++;
    if (this.nextToken > 2_000_000_000) this.nextToken = 1;
    this.staged.set(token, chunks);
    return token;
  }

  release(token: number): void {
    this.staged.delete(token);
  }
}
