import { COLUMN_NAMES, type ColumnKind, REQUEST_COLUMNS, type StoredRow } from '../../columns.js';
import { compileRow, field } from '../../row-code.js';

/**
 * How one output format writes a response: `head`, then each row's text with `separator`
 * between rows, then `tail`. A response is streamed chunk by chunk, so a writer never holds
 * more than the row in hand.
 */
export interface RowWriter {
  readonly contentType: string;
  /** Further response headers (CSV: a download file name). */
  readonly headers: Readonly<Record<string, string>>;
  /** `true`: one page (page 1 unless asked), as upstream's JSON; `false`: every matching row unless a page is asked for. */
  readonly paged: boolean;
  readonly head: string;
  readonly separator: string;
  row(r: StoredRow): string;
  readonly tail: string;
}

const jstr = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));

/** First characters that make a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text value as a CSV field: RFC 4180 quoting (also for leading or trailing white space, which
 * spreadsheets trim), and a `'` before a value that a spreadsheet would run as a formula. Users of
 * the monitored API choose their user agent, path and user id; `=HYPERLINK(…)` must reach the
 * analyst's spreadsheet as text, as OWASP recommends for CSV injection.
 */
function csvField(value: string | null): string {
  if (value === null) return '';
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Source of a column's value as text, by kind; `x` is the source of the value. */
type Encoding = Record<ColumnKind, (x: string) => string>;

const JSON_VALUE: Encoding = {
  text: (x) => `jstr(${x})`,
  int: (x) => `('' + ${x})`,
  time: (x) => `('"' + new Date(${x}).toISOString() + '"')`,
};

const CSV_VALUE: Encoding = {
  text: (x) => `csvField(${x})`,
  int: (x) => `('' + ${x})`,
  time: (x) => `new Date(${x}).toISOString()`,
};

/**
 * Compiles `(r) => text` writing every column of the table in order: `open`, each value (after
 * its JSON key when `keys`), separated by commas, `close`. One concatenation per row, as
 * hand-written code would be (see row-code.ts).
 */
function rowText(encoding: Encoding, open: string, close: string, keys: boolean): (r: StoredRow) => string {
  const parts = REQUEST_COLUMNS.map((c, i) => {
    const prefix = (i === 0 ? open : ',') + (keys ? `${JSON.stringify(c.name)}:` : '');
    return `${JSON.stringify(prefix)} + ${encoding[c.kind](field('r', c.name))}`;
  });
  return compileRow(['r'], `return ${parts.join(' + ')} + ${JSON.stringify(close)};`, { jstr, csvField });
}

const JSON_TYPE = 'application/json; charset=utf-8';
const jsonObject = rowText(JSON_VALUE, '{', '}', true);

/** `json`: an array of row objects, as upstream returns it. */
const json: RowWriter = {
  contentType: JSON_TYPE,
  headers: {},
  paged: true,
  head: '[',
  separator: ',',
  row: jsonObject,
  tail: ']',
};

/** `compact`: upstream's compact JSON: arrays, the first one the column names. */
const compact: RowWriter = {
  contentType: JSON_TYPE,
  headers: {},
  paged: true,
  head: `[${JSON.stringify(COLUMN_NAMES)}`,
  separator: '',
  row: rowText(JSON_VALUE, ',[', ']', false),
  tail: ']',
};

/** `csv`: RFC 4180 with a header line. */
const csv: RowWriter = {
  contentType: 'text/csv; charset=utf-8',
  headers: { 'content-disposition': 'attachment; filename="apilens-data.csv"' },
  paged: false,
  head: `${COLUMN_NAMES.join(',')}\r\n`,
  separator: '',
  row: rowText(CSV_VALUE, '', '\r\n', false),
  tail: '',
};

/** `ndjson`: one JSON object per line. */
const ndjson: RowWriter = {
  contentType: 'application/x-ndjson; charset=utf-8',
  headers: {},
  paged: false,
  head: '',
  separator: '',
  row: rowText(JSON_VALUE, '{', '}\n', true),
  tail: '',
};

/** The data API's output formats by name. */
export const WRITERS = { json, compact, csv, ndjson } as const satisfies Record<string, RowWriter>;

/** An output format of the data API. */
export type FormatName = keyof typeof WRITERS;
