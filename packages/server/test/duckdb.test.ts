// What the DuckDB store promises beyond the shared conformance suite: its settings, the
// identity hash the dashboard counts users with, a checkpoint on close, clear errors for files it
// cannot open, and one process per file.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbStore, type Store } from '../src/index.js';
import { PACKAGE_DIR } from './harness.js';
import { tempDir } from './helpers.js';

describe('DuckDB store', () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'apilens.duckdb');
  let store: Store;
  beforeAll(async () => {
    store = openDuckDbStore(file);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    tmp.remove();
  });

  it('runs with the documented settings: 256 MB memory limit, one thread, no extension fetched at run time', async () => {
    const [row] = await store.select!(
      `SELECT current_setting('memory_limit'), current_setting('threads'),
        current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')`,
      [],
    );
    expect(row).toEqual(['244.1 MiB', 1, false, false]);
    const other = openDuckDbStore(join(tmp.dir, 'other.duckdb'), { memoryLimit: '1GB', threads: 2 });
    try {
      expect(
        (await other.select!("SELECT current_setting('memory_limit'), current_setting('threads')", []))[0],
      ).toEqual(['953.6 MiB', 2]);
    } finally {
      await other.close();
    }
  });

  it('stores the identity the dashboard counts: the low 64 bits of MD5("u:" + user id), else of "i:" + IP', async () => {
    const key = await store.createKey({ keyHash: 'identity', dashboardId: 'identity', createdAt: 0 });
    const row = {
      hostname: null,
      path: '/',
      route: null,
      userAgent: null,
      method: 'GET',
      status: 200,
      responseTime: 1,
      location: null,
      framework: null,
      createdAt: 1,
    };
    await store.insertRequests(
      key.id,
      [
        { ...row, userId: 'alice', ipAddress: '192.0.2.1' },
        { ...row, userId: null, ipAddress: '192.0.2.1' },
        { ...row, userId: '192.0.2.1', ipAddress: null },
        { ...row, userId: null, ipAddress: null },
      ],
      new Map(),
    );
    const md5Low = (s: string) => createHash('md5').update(s).digest().readBigUInt64LE(8).toString();
    const got = await store.select!(
      'SELECT identity::VARCHAR, endpoint, version FROM requests WHERE key_id = $1 ORDER BY id',
      [key.id],
    );
    expect(got.map((r) => r[0])).toEqual([
      md5Low('u:alice'),
      md5Low('i:192.0.2.1'),
      md5Low('u:192.0.2.1'),
      null,
    ]);
  });

  it('commits go to the write-ahead log; close checkpoints it into the file, and a reopen finds every row', async () => {
    const f = join(tmp.dir, 'checkpoint.duckdb');
    const s = openDuckDbStore(f);
    await s.migrate();
    const key = await s.createKey({ keyHash: 'checkpoint', dashboardId: 'checkpoint', createdAt: 0 });
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      hostname: null,
      ipAddress: null,
      path: `/p/${i}`,
      route: null,
      userAgent: null,
      method: 'GET',
      status: 200,
      responseTime: i,
      location: null,
      userId: null,
      framework: null,
      createdAt: i,
    }));
    expect(await s.insertRequests(key.id, rows, new Map())).toBe(1000);
    // Acknowledged means in the WAL (fsynced by COMMIT), not yet in the main file.
    expect(statSync(`${f}.wal`).size).toBeGreaterThan(0);
    await s.close();
    // The next start replays nothing: the WAL was folded into the file and removed.
    expect(existsSync(`${f}.wal`)).toBe(false);
    const again = openDuckDbStore(f);
    try {
      await again.migrate();
      expect(await again.countRequests(key.id)).toBe(1000);
    } finally {
      await again.close();
    }
  });

  it('an SQLite file or any other file is refused with an error saying what it is', async () => {
    const sqlite = join(tmp.dir, 'old.db');
    // The first bytes of every SQLite database file.
    writeFileSync(sqlite, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080)]));
    const a = openDuckDbStore(sqlite);
    await expect(a.migrate()).rejects.toThrow(
      /@apilens\/server: .*old\.db is an SQLite database, not a DuckDB file.*e\.g\. \.\/apilens\.duckdb/,
    );
    await a.close();
    const other = join(tmp.dir, 'notes.txt');
    writeFileSync(other, 'not a database, just some text that is long enough to have a header');
    const b = openDuckDbStore(other);
    await expect(b.migrate()).rejects.toThrow(
      /cannot open the DuckDB file .*notes\.txt: .*not a valid DuckDB database/,
    );
    await b.close();
  });

  it('refuses a second process on the same file, saying what to do', async () => {
    const script = `import(${JSON.stringify(join(PACKAGE_DIR, 'src/index.ts'))}).then(async (m) => {
      const s = (m.openDuckDbStore ? m : m.default).openDuckDbStore(${JSON.stringify(file)});
      try { await s.migrate(); console.log('opened'); } catch (err) { console.log(err.message); }
    });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stdout, r.stderr).toMatch(/the DuckDB file .* is open in another process/);
    expect(r.stdout).toMatch(/one process per file/);
    expect(r.stdout).toMatch(/PostgreSQL/);
  });
});
