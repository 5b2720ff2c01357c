import Database from 'better-sqlite3';
import type { NewRequestRow } from '../columns.js';
import { Lru } from '../lru.js';
import { type DeleteCounts, type Store, UnknownKeyError, type UserAgentInfo } from '../types.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { bindInsertValues, INSERT_COLUMNS, INSERT_INTO, type KeyRow, readRows, toKey } from './sql.js';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * `synchronous` pragma. `FULL` fsyncs the WAL on every commit, so a `200` survives a power
   * loss; `NORMAL` survives a crash of the process but not of the machine.
   * @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/** The prepared batch INSERT, its `run` bound to it. */
function insertStatement(db: Database.Database): (...values: unknown[]) => Database.RunResult {
  const statement = db.prepare(`${INSERT_INTO} VALUES (?${', ?'.repeat(INSERT_COLUMNS.length)})`);
  return statement.run.bind(statement);
}

/**
 * Opens (creating if needed) an SQLite database file as a {@link Store}: WAL journal,
 * prepared statements, one transaction per batch. Call `migrate()` before use.
 *
 * @example
 * const store = openSqliteStore('./apilens.db');
 * await store.migrate();
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  // 16 MiB page cache: enough for the hot index pages of ingest; a streamed 5M-row export
  // stays under 200 MB RSS (the cache is most of what an export adds).
  db.pragma('cache_size = -16384');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);

  // Prepared lazily: the tables exist only after migrate().
  let s: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    insertKey: db.prepare(
      'INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES (?, ?, ?, ?)',
    ),
    keyByHash: db.prepare('SELECT * FROM keys WHERE key_hash = ?'),
    keyByDashboard: db.prepare('SELECT * FROM keys WHERE dashboard_id = ?'),
    keyExists: db.prepare('SELECT 1 FROM keys WHERE id = ?').pluck(),
    touch: db.prepare('UPDATE keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?'),
    insertUa: db.prepare(
      'INSERT INTO user_agents (user_agent, browser, os, device) VALUES (?, ?, ?, ?) ON CONFLICT (user_agent) DO NOTHING',
    ),
    uaId: db.prepare('SELECT id FROM user_agents WHERE user_agent = ?').pluck(),
    insertRow: bindInsertValues(insertStatement(db)),
    countKey: db.prepare('SELECT count(*) FROM requests WHERE key_id = ?').pluck(),
    countAll: db.prepare('SELECT count(*) FROM requests').pluck(),
    deleteRows: db.prepare('DELETE FROM requests WHERE key_id = ?'),
    deleteKey: db.prepare('DELETE FROM keys WHERE id = ?'),
    inactive: db.prepare('SELECT id FROM keys WHERE last_used_at < ? ORDER BY id').pluck(),
  });
  const st = () => {
    if (!s) s = prepare();
    return s;
  };
  const queries = new Map<string, Database.Statement>();
  const uaIds = new Lru<string, number>(20_000);

  interface Pending {
    keyId: number;
    rows: readonly NewRequestRow[];
    userAgents: ReadonlyMap<string, UserAgentInfo>;
    resolve(n: number): void;
    reject(err: Error): void;
  }

  // Group commit: batches that arrive in the same turn of the event loop share one transaction
  // (one WAL fsync). Each batch is still all-or-nothing, and every caller hears only after COMMIT.
  const insertGroup = db.transaction((group: Pending[], fresh: Map<string, number>) => {
    const q = st();
    const resolve = (ua: string, userAgents: ReadonlyMap<string, UserAgentInfo>): number => {
      const cached = uaIds.get(ua) ?? fresh.get(ua);
      if (cached !== undefined) return cached;
      const info = userAgents.get(ua);
      q.insertUa.run(ua, info?.browser ?? null, info?.os ?? null, info?.device ?? null);
      const id = q.uaId.get(ua) as number;
      fresh.set(ua, id);
      return id;
    };
    return group.map((p) => {
      if (q.keyExists.get(p.keyId) === undefined) return new UnknownKeyError();
      for (const r of p.rows) {
        q.insertRow(p.keyId, r, r.userAgent === null ? null : resolve(r.userAgent, p.userAgents));
      }
      return p.rows.length;
    });
  });

  let queue: Pending[] = [];
  const flush = () => {
    const group = queue;
    queue = [];
    const fresh = new Map<string, number>();
    let results: (number | Error)[];
    try {
      // .immediate(): take the write lock up front, so another process cannot make us retry mid-group.
      results = insertGroup.immediate(group, fresh);
    } catch (err) {
      for (const p of group) p.reject(err as Error);
      return;
    }
    // Cached only after commit: a rolled-back id must never be reused.
    for (const [ua, id] of fresh) uaIds.set(ua, id);
    group.forEach((p, i) => {
      const r = results[i]!;
      if (typeof r === 'number') p.resolve(r);
      else p.reject(r);
    });
  };

  const deleteTx = db.transaction((keyId: number): DeleteCounts => {
    const q = st();
    const requests = q.deleteRows.run(keyId).changes;
    const keys = q.deleteKey.run(keyId).changes;
    return { keys, requests };
  });

  return {
    kind: 'sqlite',
    description: `SQLite ${file}`,

    async migrate() {
      const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      let count = 0;
      for (const m of SQLITE_MIGRATIONS) {
        // Checked inside the write transaction: two processes starting together apply it once.
        const applied = db
          .transaction(() => {
            if (isApplied.get(m.version) !== undefined) return false;
            db.exec(m.sql);
            record.run(m.version, m.name, Date.now());
            return true;
          })
          .immediate();
        if (applied) count++;
      }
      s = undefined;
      return count;
    },

    async schemaVersion() {
      return (
        (db.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() as number) ?? 0
      );
    },

    async ping() {
      db.prepare('SELECT 1').get();
    },

    async close() {
      if (queue.length > 0) flush();
      if (db.open) db.close();
    },

    async createKey(key) {
      const info = st().insertKey.run(key.keyHash, key.dashboardId, key.createdAt, key.createdAt);
      return {
        id: Number(info.lastInsertRowid),
        keyHash: key.keyHash,
        dashboardId: key.dashboardId,
        createdAt: key.createdAt,
        lastUsedAt: key.createdAt,
      };
    },

    async findKeyByHash(keyHash) {
      return toKey(st().keyByHash.get(keyHash) as KeyRow | undefined);
    },

    async findKeyByDashboardId(dashboardId) {
      return toKey(st().keyByDashboard.get(dashboardId) as KeyRow | undefined);
    },

    async touchKey(keyId, now, minIntervalMs) {
      st().touch.run(now, keyId, now - minIntervalMs);
    },

    insertRequests(keyId, rows, userAgents) {
      return new Promise<number>((resolve, reject) => {
        if (!db.open) {
          reject(new Error('@apilens/server: the SQLite store is closed'));
          return;
        }
        if (queue.length === 0) setImmediate(flush);
        queue.push({ keyId, rows, userAgents, resolve, reject });
      });
    },

    async queryRequests(keyId, query) {
      return readRows(
        keyId,
        query,
        () => '?',
        ({ sql, params }) => {
          let stmt = queries.get(sql);
          if (!stmt) {
            stmt = db.prepare(sql).raw(true);
            if (queries.size < 256) queries.set(sql, stmt);
          }
          return stmt.all(...params) as unknown[][];
        },
      );
    },

    async countRequests(keyId) {
      const q = st();
      return (keyId === undefined ? q.countAll.get() : q.countKey.get(keyId)) as number;
    },

    async deleteKey(keyId) {
      return deleteTx.immediate(keyId);
    },

    async findInactiveKeys(cutoff) {
      return st().inactive.all(cutoff) as number[];
    },
  };
}
