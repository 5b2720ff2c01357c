import type { NewRequestRow } from '../columns.js';
import { wellFormed } from '../ingest/validate.js';
import { apiVersion, Identities } from './duckdb-derive.js';
import { fillInsertColumns, INSERT_COLUMNS } from './sql.js';

/** Columns and DuckDB types of the rows a store writes: `id`, `key_id`, then {@link INSERT_COLUMNS}. */
const STAGED: ReadonlyArray<[string, string]> = [
  ['id', 'BIGINT'],
  ['key_id', 'BIGINT'],
  ...INSERT_COLUMNS.map((c): [string, string] => [c.name, c.sql.duckdb]),
];

/** Column names of the staged rows, in order (a CSV for `importCsv` has these columns). */
export const STAGED_COLUMNS: readonly string[] = STAGED.map(([name]) => name);

/** Their DuckDB types, in the same order. */
export const STAGED_TYPES: readonly string[] = STAGED.map(([, type]) => type);

/**
 * What a group's text holds: the staged columns, then two of the dashboard's derived columns
 * computed while encoding (duckdb-derive.ts). DuckDB derives them from the staged columns for
 * `importCsv` instead.
 */
const GROUP_COLUMNS: ReadonlyArray<[string, string]> = [...STAGED, ['version', 'VARCHAR'], ['identity', 'UBIGINT']];
const VERSION_AT = STAGED.length;
const IDENTITY_AT = STAGED.length + 1;
/** Columns of text: their JSON may need lone surrogates replaced (see {@link columnJson}). */
const TEXT = new Set(GROUP_COLUMNS.flatMap(([, type], c) => (type === 'VARCHAR' ? [c] : [])));

/** `from_json`'s structure of a group: an object of one list per column. */
const STRUCTURE = JSON.stringify(Object.fromEntries(GROUP_COLUMNS.map(([name, type]) => [name, [type]])));

/**
 * The INSERT of a group of batches, its rows given as one JSON text (`$1`, see
 * {@link GroupEncoder}): the lists are unnested side by side into rows, `endpoint` is derived (a
 * `coalesce`, cheap in SQL), `version` and `identity` come as encoded.
 */
export const INSERT_GROUP = `INSERT INTO requests (${STAGED_COLUMNS.join(', ')}, endpoint, version, identity)
SELECT ${STAGED_COLUMNS.join(', ')}, coalesce(route, path), version, identity
FROM (SELECT ${GROUP_COLUMNS.map(([name]) => `unnest(g.${name}) AS ${name}`).join(', ')}
      FROM (SELECT from_json($1, '${STRUCTURE}') AS g))`;

/**
 * Encodes a group of batches as the one JSON text that {@link INSERT_GROUP} reads: an object of
 * one array per column. The whole group crosses into DuckDB as one parameter, so the INSERT, its
 * COMMIT and the WAL's fsync run on DuckDB's thread from start to end without calling back into
 * the event loop. A table function (used before) made DuckDB's thread wait for the event loop at
 * bind, at init, at every 2 048-row chunk and at the final empty one, each time for as long as
 * the loop was busy parsing another batch, and filling its vectors took one native call per value
 * (docs/decisions.md has the figures).
 */
export class GroupEncoder {
  private readonly identities = new Identities();

  /** The rows (`[keyId, row, userAgentId]`, given their first id) as one JSON text. */
  encode(firstId: number, rows: Iterable<[number, NewRequestRow, number | null]>): string {
    const cols: unknown[][] = GROUP_COLUMNS.map(() => []);
    const values = cols.slice(2, VERSION_AT); // the INSERT_COLUMNS part of `cols`
    let n = 0;
    for (const [keyId, row, ua] of rows) {
      cols[0]![n] = firstId + n;
      cols[1]![n] = keyId;
      fillInsertColumns(values, n, row, ua);
      cols[VERSION_AT]![n] = apiVersion(row.path);
      // 64-bit: written as its digits (a bigint has no JSON form, a double would round it).
      cols[IDENTITY_AT]![n] = this.identities.of(row.userId, row.ipAddress)?.toString() ?? 'null';
      n++;
    }
    return `{${cols.map((col, c) => `"${GROUP_COLUMNS[c]![0]}":${columnJson(col, c)}`).join(',')}}`;
  }
}

/**
 * One column's JSON array. `JSON.stringify` writes a lone UTF-16 surrogate as a `\udXXX` escape,
 * which DuckDB's JSON reader refuses (and the whole group with it): such strings are stored as
 * U+FFFD, as DuckDB stores them when handed over directly. Ingest has replaced them already
 * (`clean`); this covers rows given to the store by other callers. The check is one scan of the
 * text; a match that is only an escaped backslash followed by `ud` costs one more stringify.
 */
function columnJson(col: unknown[], c: number): string {
  if (c === IDENTITY_AT) return `[${col.join(',')}]`;
  const json = JSON.stringify(col);
  if (!TEXT.has(c) || !json.includes('\\ud')) return json;
  return JSON.stringify(col.map((v) => (typeof v === 'string' ? wellFormed(v) : v)));
}
