import { type ColumnKind, REQUEST_COLUMNS } from '../../columns.js';
import { field } from '../../row-code.js';
import { SELECT_ROWS } from '../../store/sql.js';
import type { SqlDialect } from '../../types.js';

/**
 * Whole CSV and NDJSON exports are written by the database: each keyset step is one query that
 * returns the step's text as one value (DuckDB and PostgreSQL build it on their own threads and
 * processes), so the event loop only hands a megabyte or two per step to the socket. Formatting
 * 5 000 rows in JavaScript (and, on DuckDB, decoding their strings from the driver) held the loop
 * for tens of milliseconds per step, the whole of other tenants' p99 during an export (issue 10).
 * The text is byte for byte what the writers in writers.ts produce (export-text.test.ts compares
 * them on hostile values); those writers still write pages and the JSON formats.
 */

/** Formats whose whole exports the database writes. */
export type TextFormat = 'csv' | 'ndjson';

/** `format` is one whose whole exports the database writes. */
export const isTextFormat = (format: string): format is TextFormat => format === 'csv' || format === 'ndjson';

/** What JavaScript's `\s` matches (the writers' leading/trailing white-space test), as characters. */
const JS_WHITE_SPACE = '\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/**
 * Control characters whose `\u00XX` escape has hex letters: DuckDB's `to_json` writes them in
 * upper case where JSON.stringify writes lower case (`\u001b`), so those values take the spelled
 * out escape below.
 */
const UPPER_HEX_CONTROLS = '\u000b\u000e\u000f\u001a-\u001f';

/** A SQL string literal of fixed text (never input): only `'` needs doubling. */
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** `x` matches the regular expression `pattern` (RE2 in DuckDB, ARE in PostgreSQL; literal characters only). */
function matches(d: SqlDialect, x: string, pattern: string): string {
  return d === 'duckdb' ? `regexp_matches(${x}, ${lit(pattern)})` : `${x} ~ ${lit(pattern)}`;
}

/** A text value `x` as a JSON string, `null` for NULL: JSON.stringify's output, byte for byte. */
function jsonText(d: SqlDialect, x: string): string {
  // PostgreSQL's to_json escapes exactly as JSON.stringify does (`"`, `\`, controls, lower-case hex).
  if (d === 'postgres') return `coalesce(to_json(${x})::text, 'null')`;
  // DuckDB's upper-case escapes are rewritten in the rare value that has them. Escaped
  // backslashes are set aside first (as chr(1), which to_json never leaves raw): what remains of
  // `\u001B` is then an escape, never the text "\u001B" (whose backslash was escaped). Plain
  // replace, no lambda: a lambda cost every row of a step, not only the rare one.
  let fixed = `replace(to_json(${x})::VARCHAR, '\\\\', chr(1))`;
  for (const cp of [0x0b, 0x0e, 0x0f, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f]) {
    const lower = JSON.stringify(String.fromCharCode(cp)).slice(1, -1);
    fixed = `replace(${fixed}, ${lit(lower.toUpperCase().replace('\\U', '\\u'))}, ${lit(lower)})`;
  }
  fixed = `replace(${fixed}, chr(1), '\\\\')`;
  return `coalesce(CASE WHEN ${matches(d, x, `[${UPPER_HEX_CONTROLS}]`)} THEN ${fixed} ELSE to_json(${x})::VARCHAR END, 'null')`;
}

/**
 * A text value `x` as a CSV field, as csvField in writers.ts: a `'` before a leading `=`, `+`,
 * `-`, `@`, tab or carriage return (formula injection), quoted when it holds `"`, `,`, CR or LF
 * or begins or ends with white space, empty for NULL.
 */
function csvText(d: SqlDialect, x: string): string {
  const v = `(CASE WHEN left(${x}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || ${x} ELSE ${x} END)`;
  const quote = matches(d, v, `[",\r\n]|^[${JS_WHITE_SPACE}]|[${JS_WHITE_SPACE}]$`);
  return `coalesce(CASE WHEN ${quote} THEN '"' || replace(${v}, '"', '""') || '"' ELSE ${v} END, '')`;
}

/** Epoch milliseconds `x` as Date#toISOString writes them (years 1970–9999, as ingest accepts). */
function isoTime(d: SqlDialect, x: string): string {
  if (d === 'duckdb') return `strftime(epoch_ms(${x}), '%Y-%m-%dT%H:%M:%S.%gZ')`;
  // Whole seconds through an interval (exact), the milliseconds as digits: no float rounding.
  return `to_char(timestamp 'epoch' + (${x} / 1000) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad((${x} % 1000)::text, 3, '0') || 'Z'`;
}

const integer = (d: SqlDialect, x: string) => (d === 'duckdb' ? `CAST(${x} AS VARCHAR)` : `${x}::text`);

type Encoding = Record<ColumnKind, (d: SqlDialect, x: string) => string>;
const CSV: Encoding = { text: csvText, int: integer, time: isoTime };
const JSON_VALUE: Encoding = {
  text: jsonText,
  int: integer,
  time: (d, x) => `'"' || ${isoTime(d, x)} || '"'`,
};

/** SQL expression of one row's text in `format`, columns in table order, as the format's writer. */
export function lineSql(d: SqlDialect, format: TextFormat): string {
  const csv = format === 'csv';
  const parts = REQUEST_COLUMNS.flatMap((c, i) => {
    const x = field('c', c.name);
    const prefix = (i === 0 ? (csv ? '' : '{') : ',') + (csv ? '' : `${JSON.stringify(c.name)}:`);
    const value = (csv ? CSV : JSON_VALUE)[c.kind](d, x);
    return prefix ? [lit(prefix), value] : [value];
  });
  // One concat of every part (none is NULL: each value is coalesced), not a chain of `||`: each
  // `||` built the line so far again (30 copies a row), which halved DuckDB's speed and doubled
  // what its allocator held during an export.
  const end = csv ? ['chr(13)', 'chr(10)'] : ["'}'", 'chr(10)'];
  return `concat(${[...parts, ...end].join(', ')})`;
}

/**
 * Lines per piece of a step's text: a piece stays under V8's large-object size (128 KiB) for
 * ordinary rows (a CSV line of a 200-character path is about 350 bytes, its NDJSON twice that).
 * One 1.75 MB string per step went to V8's large-object space, freed only by a full GC, and kept
 * the driver's result (native memory V8 does not count) alive with it: 40 MB of DuckDB's results
 * were waiting for a GC at the end of a 100 000-row export. Small pieces die young in the
 * scavenges that their own allocation triggers, and their results with them.
 */
export const TEXT_PIECE = 128;

/**
 * Wraps a row query (SELECT_ROWS' columns, with its WHERE, ORDER BY and LIMIT: the data API's
 * or the dashboard export's) into one that returns the step's text in `format` as pieces of
 * {@link TEXT_PIECE} lines in order, each with its row count and the keyset cursor of its last
 * row (created_at, id). The rows are picked first and only they are formatted: a line computed in
 * the row query itself was computed for every row before the LIMIT (700 ms a step instead of 20).
 */
export function textChunkSql(d: SqlDialect, format: TextFormat, rowQuery: string): string {
  // The piece's last id: DuckDB orders by the (created_at, id) pair in one pass; PostgreSQL has
  // no arg_max, the first of the piece's ids in descending order is the same.
  const lastId =
    d === 'duckdb'
      ? 'arg_max(c.id, (c.created_at, c.id))'
      : '(array_agg(c.id ORDER BY c.created_at DESC, c.id DESC))[1]';
  // Integer division: DuckDB's `/` is a float division, its `//` the integer one.
  const div = d === 'duckdb' ? '//' : '/';
  // DuckDB has no index: a step's top-N reads every later row of the key, and with every column
  // it decoded all their text (half of what DuckDB allocated in an export, held by its allocator
  // for a second after). The top-N of the ids alone, then the text of those rows only.
  const rows = d === 'duckdb' ? `${SELECT_ROWS}\nWHERE r.id IN (SELECT s.id FROM (${rowQuery}) s)` : rowQuery;
  return `WITH c AS MATERIALIZED (${rows}),
n AS (SELECT c.*, (row_number() OVER (ORDER BY c.created_at, c.id) - 1) ${div} ${TEXT_PIECE} AS piece FROM c)
SELECT string_agg(${lineSql(d, format)}, '' ORDER BY c.created_at, c.id), count(*), max(c.created_at), ${lastId}
FROM n AS c GROUP BY c.piece ORDER BY c.piece`;
}

/** One step of a whole export as the database wrote it. */
export interface TextChunk {
  /** The rows' text in order, in pieces of at most {@link TEXT_PIECE} lines. */
  pieces: string[];
  rows: number;
  /** Keyset cursor of the last row; absent without rows. */
  last?: { createdAt: number; id: number };
}

/** Reads the rows of a {@link textChunkSql} query. */
export function toTextChunk(result: readonly (readonly unknown[])[]): TextChunk {
  const end = result.at(-1);
  if (!end) return { pieces: [], rows: 0 };
  let rows = 0;
  for (const piece of result) rows += Number(piece[1]);
  return {
    pieces: result.map((piece) => String(piece[0])),
    rows,
    last: { createdAt: Number(end[2]), id: Number(end[3]) },
  };
}
