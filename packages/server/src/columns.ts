/**
 * The request row, described once. Everything that lists the row's columns is generated from
 * {@link REQUEST_COLUMNS}: the {@link NewRequestRow} and {@link StoredRow} types, the stores'
 * SELECT list, row mapper and INSERTs (`store/sql.ts`), and the data API's writers
 * (`routes/data/writers.ts`). Adding a column is one entry here plus a migration.
 */

/** How a value is typed: text, a whole number, or a time (epoch milliseconds, written as ISO 8601). */
export type ColumnKind = 'text' | 'int' | 'time';

/** A column's SQL type in each store. */
export interface SqlTypes {
  readonly postgres: string;
  readonly duckdb: string;
}

/** One column of the request row. */
export interface RequestColumn {
  /** Output name: the data API's JSON key and CSV header, the {@link StoredRow} field and the SQL column. */
  readonly name: string;
  /** Field of a row in the ingest wire format (upstream's JSON); `null` when clients do not send it per row. */
  readonly wire: string | null;
  /** Field of {@link NewRequestRow} (what ingest hands a store); `null` when the store derives the value. */
  readonly field: string | null;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /**
   * Where the normalised stores keep the value: in `requests`, or in `user_agents` (each distinct
   * user agent stored once with its parse, referenced by `requests.user_agent_id`).
   */
  readonly table: 'requests' | 'user_agents';
  readonly sql: SqlTypes;
}

const TEXT: SqlTypes = { postgres: 'text', duckdb: 'VARCHAR' };
const SMALLINT: SqlTypes = { postgres: 'smallint', duckdb: 'SMALLINT' };
const INTEGER: SqlTypes = { postgres: 'integer', duckdb: 'INTEGER' };
const BIGINT: SqlTypes = { postgres: 'bigint', duckdb: 'BIGINT' };

function column<
  const N extends string,
  const W extends string | null,
  const F extends string | null,
  const K extends ColumnKind,
  const U extends boolean,
  const T extends RequestColumn['table'],
>(name: N, wire: W, field: F, kind: K, nullable: U, table: T, sql: SqlTypes) {
  return { name, wire, field, kind, nullable, table, sql };
}

/**
 * The request row's columns in output order (the data API's JSON keys, CSV and compact columns).
 * - `ip_address` is `null` under privacy levels 1 and 2; `location` is looked up from it by the
 *   collector; `framework` comes from the batch envelope, not the row.
 * - `browser`, `os`, `device` are parsed from the user agent, once per distinct string.
 * - `created_at` is epoch milliseconds (UTC) in every store; the data API writes ISO 8601.
 */
// biome-ignore format: one column per line, aligned, reads as the table it is
export const REQUEST_COLUMNS = [
  //     name             wire             field           kind    nullable table          sql
  column('hostname',      'hostname',      'hostname',     'text', true,    'requests',    TEXT),
  column('ip_address',    'ip_address',    'ipAddress',    'text', true,    'requests',    TEXT),
  column('path',          'path',          'path',         'text', false,   'requests',    TEXT),
  column('route',         'route',         'route',        'text', true,    'requests',    TEXT),
  column('user_agent',    'user_agent',    'userAgent',    'text', true,    'user_agents', TEXT),
  column('browser',       null,            null,           'text', true,    'user_agents', TEXT),
  column('os',            null,            null,           'text', true,    'user_agents', TEXT),
  column('device',        null,            null,           'text', true,    'user_agents', TEXT),
  column('method',        'method',        'method',       'text', false,   'requests',    TEXT),
  column('status',        'status',        'status',       'int',  false,   'requests',    SMALLINT),
  column('response_time', 'response_time', 'responseTime', 'int',  false,   'requests',    INTEGER),
  column('location',      null,            'location',     'text', true,    'requests',    TEXT),
  column('user_id',       'user_id',       'userId',       'text', true,    'requests',    TEXT),
  column('framework',     null,            'framework',    'text', true,    'requests',    TEXT),
  column('created_at',    'created_at',    'createdAt',    'time', false,   'requests',    BIGINT),
] as const satisfies readonly RequestColumn[];

/** The SQL type of row and user agent ids (`requests.id`, `requests.user_agent_id`). */
export const ID_SQL: SqlTypes = BIGINT;

type Column = (typeof REQUEST_COLUMNS)[number];
type ValueOf<C extends Column> =
  | (C['kind'] extends 'text' ? string : number)
  | (C['nullable'] extends true ? null : never);

/** The output columns by name, as the data API writes them. */
export type OutputRow = { [C in Column as C['name']]: ValueOf<C> };

/** Output column names, in order. */
export type ColumnName = Column['name'];

/** Output column names in order (JSON keys, CSV header, compact header). */
export const COLUMN_NAMES: readonly ColumnName[] = REQUEST_COLUMNS.map((c) => c.name);

type NewRow = { [C in Column as C['field'] extends string ? C['field'] : never]: ValueOf<C> };

/**
 * One validated, enriched request ready to store (fields of {@link REQUEST_COLUMNS} that have
 * a `field`). Strings are already truncated; times are epoch milliseconds (UTC).
 */
export interface NewRequestRow extends NewRow {}

/** A stored request as the data API reads it (snake_case, as on the wire); `created_at` in epoch ms. */
export interface StoredRow extends OutputRow {
  /** Row id; with `created_at` it gives the stable order. */
  id: number;
}
