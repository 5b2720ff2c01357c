import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';

/**
 * One DuckDB connection with its prepared statements. A connection runs one statement at a
 * time (binding and running a prepared statement are two steps), so callers take turns through
 * {@link ConnectionPool} or the store's writer queue.
 */
export class Conn {
  private readonly statements = new Map<string, DuckDBPreparedStatement>();

  constructor(readonly connection: DuckDBConnection) {}

  private async prepare(sql: string): Promise<DuckDBPreparedStatement> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = await this.connection.prepare(sql);
      // Queries are built from a fixed set of shapes; the bound keeps a pathological caller from
      // growing it without end.
      if (this.statements.size < 512) this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs a statement with positional parameters (`$1`, `$2`, …); resolves with its rows as arrays.
   * Parameter types are inferred from the values unless given (lists need theirs).
   */
  async rows(sql: string, params: readonly unknown[] = [], types?: DuckDBType[]): Promise<unknown[][]> {
    const stmt = await this.prepare(sql);
    if (params.length > 0) stmt.bind(params as DuckDBValue[], types);
    const reader = await stmt.runAndReadAll();
    return reader.getRows() as unknown[][];
  }

  /**
   * Runs a read with plain JS values: 64-bit integers as numbers (counts and epoch milliseconds
   * stay far below 2^53), lists as arrays.
   */
  async select(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    const stmt = await this.prepare(sql);
    if (params.length > 0) {
      // JS arrays are lists (of text, else of numbers); other values' types are inferred.
      const types = params.map((p) =>
        Array.isArray(p) ? LIST(p.every((x) => typeof x === 'number') ? DOUBLE : VARCHAR) : undefined,
      );
      stmt.bind(
        params.map((p) => (Array.isArray(p) ? listValue(p) : p)) as DuckDBValue[],
        types as DuckDBType[],
      );
    }
    const reader = await stmt.runAndReadAll();
    return reader.getRowsJS().map((row) => row.map(plain));
  }

  /** Runs a statement and resolves with the number of rows it changed (INSERT, UPDATE, DELETE). */
  async changes(sql: string, params: readonly unknown[] = [], types?: DuckDBType[]): Promise<number> {
    const stmt = await this.prepare(sql);
    if (params.length > 0) stmt.bind(params as DuckDBValue[], types);
    const result = await stmt.run();
    return Number(result.rowsChanged);
  }

  /** Runs SQL text without parameters (transaction control, DDL; several statements allowed). */
  async exec(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  close(): void {
    for (const stmt of this.statements.values()) stmt.destroySync();
    this.statements.clear();
    this.connection.closeSync();
  }
}

/**
 * A fixed set of reader connections. DuckDB runs each query on its own worker threads, so a
 * few connections are enough for reads to go on while another connection commits.
 */
export class ConnectionPool {
  private readonly idle: Conn[];
  private readonly waiting: Array<(c: Conn) => void> = [];

  constructor(private readonly all: Conn[]) {
    this.idle = [...all];
  }

  async use<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const conn = this.idle.pop() ?? (await new Promise<Conn>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(conn);
    } finally {
      const next = this.waiting.shift();
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
