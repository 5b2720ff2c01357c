// The DuckDB store computes two dashboard columns in JavaScript while it stages a group
// (`version`, `identity`); DuckDB's own SQL derived them before, and still does for importCsv.
// Identities stored before and after must match and the dashboard's version filter must see the
// same values, so these tests hold the JavaScript to DuckDB's regexp_extract and
// md5_number_lower, row by row, on random hostile input.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION_PATTERN } from '../src/dashboard/sql.js';
import { openDuckDbStore, type Store } from '../src/index.js';
import { apiVersion, Identities } from '../src/store/duckdb-derive.js';
import { StagedRows } from '../src/store/duckdb-rows.js';
import type { NewRequestRow } from '../src/types.js';
import { prng as random } from './dashboard-brute-force.js';
import { tempDir } from './helpers.js';
import { row } from './store-conformance.js';

/** Strings made of the characters the version rule looks at, and a few it must not trip on. */
function hostile(rand: () => number, maxLength: number): string {
  const alphabet = ['/', '/', 'v', 'v', '1', '2', '0', 'x', 'V', '-', '\n', 'é', '😀', '\uD800', "'", ' '];
  const n = Math.floor(rand() * (maxLength + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

describe('version and identity computed while staging', () => {
  it("apiVersion finds what VERSION_PATTERN's regular expression finds", () => {
    const re = new RegExp(VERSION_PATTERN);
    const expected = (path: string) => re.exec(path)?.[1] ?? null;
    const fixed = [
      '',
      'v1',
      '/v1',
      '/v1/',
      'v12/x',
      '/api/v2/users',
      '/v/',
      '/vx/v3',
      '/v1x/v2/',
      'xv1/',
      '/V1/',
      '/v1v2/',
      '/a/v10',
      '//v7//',
      '/v1\n',
    ];
    for (const path of fixed) expect(apiVersion(path), path).toBe(expected(path));
    const rand = random(9);
    for (let i = 0; i < 50_000; i++) {
      const path = hostile(rand, 12);
      if (apiVersion(path) !== expected(path))
        expect(apiVersion(path), JSON.stringify(path)).toBe(expected(path));
    }
  });

  it('Identities gives the low 64 bits of MD5("u:" + user id), else of "i:" + IP, also after forgetting', () => {
    const md5Low = (s: string) => createHash('md5').update(s, 'utf8').digest().readBigUInt64LE(8);
    const ids = new Identities(3); // forgets every third new value: the cache must not change answers
    const rand = random(4);
    for (let i = 0; i < 2_000; i++) {
      const user = rand() < 0.4 ? hostile(rand, 4) : null;
      const ip = rand() < 0.7 ? hostile(rand, 4) : null;
      const want = user !== null ? md5Low(`u:${user}`) : ip !== null ? md5Low(`i:${ip}`) : null;
      expect(ids.of(user, ip)).toBe(want);
    }
  });

  it('refuses to stage a group over one not yet released (the table function returns one group)', () => {
    const staged = new StagedRows();
    const rows: [number, NewRequestRow, null][] = [[1, row(), null]];
    staged.stage(1, rows);
    expect(() => staged.stage(2, rows)).toThrow(/staged already/);
    staged.release();
    expect(() => staged.stage(2, rows)).not.toThrow();
  });

  describe('stored through the DuckDB store', () => {
    const tmp = tempDir();
    let store: Store;
    beforeAll(async () => {
      store = openDuckDbStore(join(tmp.dir, 'derive.duckdb'));
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      tmp.remove();
    });

    it('stores, for every row of a group spanning several chunks, what DuckDB derives in SQL', async () => {
      const key = await store.createKey({ keyHash: 'derive', dashboardId: 'derive', createdAt: 0 });
      const rand = random(7);
      const pool = Array.from({ length: 60 }, () => hostile(rand, 6));
      const pick = () => (rand() < 0.2 ? null : pool[Math.floor(rand() * pool.length)]!);
      // 8 batches of 700 rows sent at once: one group of 5 600 rows, three 2 048-row chunks.
      const batches: NewRequestRow[][] = Array.from({ length: 8 }, (_, b) =>
        Array.from({ length: 700 }, (_, i) =>
          row({
            ipAddress: pick(),
            path: rand() < 0.5 ? `/v${i % 3}/r${b}` : hostile(rand, 14),
            route: rand() < 0.5 ? null : pick(),
            userAgent: null,
            userId: pick(),
            createdAt: b * 1000 + i,
          }),
        ),
      );
      const counts = await Promise.all(batches.map((rows) => store.insertRequests(key.id, rows, new Map())));
      expect(counts).toEqual(batches.map((b) => b.length));
      const rows = await store.select!(
        `SELECT path, endpoint, version, identity::VARCHAR,
           coalesce(route, path),
           nullif(regexp_extract(path, '${VERSION_PATTERN}', 1), ''),
           (CASE WHEN user_id IS NOT NULL THEN md5_number_lower('u:' || user_id)
                 WHEN ip_address IS NOT NULL THEN md5_number_lower('i:' || ip_address) END)::VARCHAR
         FROM requests WHERE key_id = $1 ORDER BY id`,
        [key.id],
      );
      expect(rows).toHaveLength(5_600);
      // Rows come back in the order sent (ids follow it), each with the values of its own row.
      expect(rows.map((r) => r[0])).toEqual(batches.flat().map((r) => r.path.replaceAll('\uD800', '\uFFFD')));
      const wrong = rows.filter((r) => r[1] !== r[4] || r[2] !== r[5] || r[3] !== r[6]);
      expect(wrong).toEqual([]);
      expect(rows.filter((r) => r[3] === null).length).toBeGreaterThan(0);
      expect(rows.filter((r) => r[2] !== null).length).toBeGreaterThan(0);
    });

    it('a row without a path fails its batch loudly with the database error, and stores none of it', async () => {
      const key = await store.createKey({ keyHash: 'bad', dashboardId: 'bad', createdAt: 0 });
      const good = row({ path: '/v1/a', userAgent: null });
      const bad = { ...good, path: null } as unknown as NewRequestRow;
      await expect(store.insertRequests(key.id, [good, bad, good], new Map())).rejects.toThrow(
        /NOT NULL|path/i,
      );
      expect(await store.countRequests(key.id)).toBe(0);
      expect(await store.insertRequests(key.id, [good], new Map())).toBe(1);
    });
  });
});
