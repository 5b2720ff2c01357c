import * as crypto from 'node:crypto';

/**
 * The dashboard columns DuckDB stores beside each row (`version`, `identity`), computed in
 * JavaScript while a group is staged rather than in the INSERT: in SQL, `regexp_extract` and
 * `md5_number_lower` took a third of the DuckDB thread's CPU per row (about 1.0–1.5 and
 * 1.5–1.7 µs of 6.7–7.0, docs/benchmarks.md), and every group's commit waits for that thread.
 * Both must give exactly what the SQL gives: `importCsv` still derives them in SQL, and
 * identities stored before and after must match (a test compares the two on hostile input).
 */

const SLASH = 47;
const ZERO = 48;
const NINE = 57;

/**
 * The path's API version, as `nullif(regexp_extract(path, '(?:^|/)(v[0-9]+)(?:/|$)', 1), '')`
 * gives it (VERSION_PATTERN): the first `v` and digits that start the path or follow a `/`, and
 * end it or precede a `/`. A scan, not the regular expression: a third of the time, and no match
 * array per row.
 */
export function apiVersion(path: string | null): string | null {
  // A row without a path is refused by the INSERT's NOT NULL, with DuckDB's message.
  if (typeof path !== 'string') return null;
  const n = path.length;
  for (let j = path.indexOf('v'); j !== -1; j = path.indexOf('v', j + 1)) {
    if (j > 0 && path.charCodeAt(j - 1) !== SLASH) continue;
    let k = j + 1;
    while (k < n) {
      const c = path.charCodeAt(k);
      if (c < ZERO || c > NINE) break;
      k++;
    }
    if (k > j + 1 && (k === n || path.charCodeAt(k) === SLASH)) return path.slice(j, k);
  }
  return null;
}

/**
 * `crypto.hash` (one call, no Hash object) where Node has it (20.12+), else `createHash`. Read
 * from the namespace: a named import of it would fail to load on older Node 20 releases.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;
const md5: (text: string) => Buffer = oneShot
  ? (text) => oneShot('md5', text, 'buffer')
  : (text) => crypto.createHash('md5').update(text).digest();

/** DuckDB's `md5_number_lower(text)`: the last 8 bytes of the MD5 of the UTF-8 text, little-endian. */
export function md5NumberLower(text: string): bigint {
  return md5(text).readBigUInt64LE(8);
}

/**
 * Identities of rows (`md5_number_lower('u:' || user_id)`, else `md5_number_lower('i:' || ip)`,
 * else NULL), remembered: the same users and IPs come back batch after batch, and a map lookup is
 * a fiftieth of an MD5. Forgets everything when full (bounded memory, no per-hit bookkeeping).
 */
export class Identities {
  private readonly known = new Map<string, bigint>();

  constructor(private readonly max = 100_000) {}

  of(userId: string | null, ipAddress: string | null): bigint | null {
    if (userId != null) return this.lookup(`u:${userId}`);
    if (ipAddress != null) return this.lookup(`i:${ipAddress}`);
    return null;
  }

  private lookup(text: string): bigint {
    let id = this.known.get(text);
    if (id === undefined) {
      id = md5NumberLower(text);
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(text, id);
    }
    return id;
  }
}
