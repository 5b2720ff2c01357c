import { DOUBLE, type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { VERSION_PATTERN } from '../dashboard/sql.js';
import { Lru } from '../lru.js';
import {
  type BackupResult,
  type KeyRecord,
  type NewRequestRow,
  type Store,
  UnknownKeyError,
  type UserAgentInfo,
} from '../types.js';
import { backupDuckDb } from './duckdb-backup.js';
import { Conn, ConnectionPool } from './duckdb-connection.js';
import { DUCKDB_MIGRATIONS } from './duckdb-migrations.js';
import { deleteDuckDbKeyMonitoring, duckDbMonitors } from './duckdb-monitors.js';
import { INSERT_STAGED, STAGED_COLUMNS, STAGED_SELECT, STAGED_TYPES, StagedRows } from './duckdb-rows.js';
import { readRows } from './sql.js';

/** Options of {@link openDuckDbStore}. */
export interface DuckDbStoreOptions {
  /**
   * DuckDB `memory_limit`: the most its buffer manager holds (cached blocks, hash tables, sorts);
   * beyond it queries spill to a temporary directory beside the file. The Node.js heap and
   * DuckDB's small unmanaged allocations come on top.
   * @default '256MB'
   */
  memoryLimit?: string;
  /**
   * DuckDB `threads`: worker threads one query may use. One by default: parallelism comes from
   * running the dashboard's queries side by side on the reader connections instead, which cost
   * about a fifth less CPU than splitting each query, and ingest with one thread spent a third
   * less CPU outside the event loop (measured on 2 cores, see docs/decisions.md).
   * @default 1
   */
  threads?: number;
  /** Reader connections: reads run side by side on them, and while a batch commits. @default 2 */
  readers?: number;
}

/**
 * Inserts rows from `source` (staged columns, see duckdb-rows.ts), deriving the dashboard's
 * columns in SQL: `importCsv` loads through it. Batches are inserted by INSERT_STAGED instead,
 * with `version` and `identity` computed in JavaScript (duckdb-derive.ts) to exactly these
 * values. The identity hash is MD5-based (its lower 64 bits), a function whose result never
 * changes between DuckDB versions: identities stored today must match those stored after an
 * upgrade. User ids and IPs get different prefixes, so a user id that looks like an IP is still
 * another identity.
 */
const insertDerivingFrom = (
  source: string,
) => `INSERT INTO requests (${STAGED_COLUMNS.join(', ')}, endpoint, version, identity)
SELECT ${STAGED_SELECT.join(', ')},
  coalesce(route, path),
  nullif(regexp_extract(path, '${VERSION_PATTERN}', 1), ''),
  CASE WHEN user_id IS NOT NULL THEN md5_number_lower('u:' || user_id)
       WHEN ip_address IS NOT NULL THEN md5_number_lower('i:' || ip_address) END
FROM ${source}`;

interface Pending {
  keyId: number;
  rows: readonly NewRequestRow[];
  userAgents: ReadonlyMap<string, UserAgentInfo>;
  batchId: string | undefined;
  resolve(n: number): void;
  reject(err: Error): void;
}

/** The DuckDB store: a {@link Store} with a bulk path for loading many rows at once. */
export interface DuckDbStore extends Store {
  /**
   * Appends the rows of a CSV file (no header) whose columns are `id, key_id`, then the columns a
   * batch writes in table order (`hostname, ip_address, path, route, user_agent_id, method,
   * status, response_time, location, user_id, framework, created_at`), deriving the dashboard's
   * columns as ingest does, in one transaction. Ids must be new and above the stored ones; user
   * agent ids must exist. For benchmarks and migrations: DuckDB reads the file in parallel,
   * several times faster than batches through `insertRequests`. Resolves with the rows added.
   */
  importCsv(path: string): Promise<number>;
  /** See {@link Store.backup}: a consistent copy while the store keeps writing. */
  backup(file: string): Promise<BackupResult>;
}

/** A DuckDB open error, reworded to say what to do when the cause is a known one. */
function openError(file: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  // DuckDB recognises an SQLite file and asks for its sqlite extension, which is never installed
  // here (no download at run time): say what the file is instead.
  if (/sqlite/i.test(message)) {
    return new Error(
      `@apilens/server: ${file} is an SQLite database, not a DuckDB file. The collector stores in DuckDB ` +
        '(or PostgreSQL); give --db a new file name, e.g. ./apilens.duckdb.',
      { cause: err },
    );
  }
  if (/lock/i.test(message)) {
    return new Error(
      `@apilens/server: the DuckDB file ${file} is open in another process (${message.split('\n')[0]}). ` +
        'DuckDB allows one process per file: stop the other collector, or give several collectors one PostgreSQL database (--database-url).',
      { cause: err },
    );
  }
  return new Error(`@apilens/server: cannot open the DuckDB file ${file}: ${message}`, { cause: err });
}

/**
 * Opens (creating if needed) a DuckDB database file as a {@link Store}. One writer connection
 * serialises every write; batches that arrive while a commit is running are written together in
 * the next transaction (group commit: one WAL fsync for several batches), each still all-or-nothing,
 * and each caller hears only after COMMIT has fsynced the WAL. Reads use a few other connections
 * and see every committed batch at once. Call `migrate()` before use.
 *
 * DuckDB lets one process open a file for writing: a second collector on the same file fails to
 * start with an error saying so.
 *
 * @example
 * const store = openDuckDbStore('./apilens.duckdb');
 * await store.migrate();
 */
export function openDuckDbStore(file: string, options: DuckDbStoreOptions = {}): DuckDbStore {
  const threads = options.threads ?? 1;
  const readerCount = options.readers ?? 2;
  const config: Record<string, string> = {
    memory_limit: options.memoryLimit ?? '256MB',
    threads: String(threads),
    // Never fetch an extension at run time (no internet on many servers); everything used here
    // (ICU is not even needed) is built into the binary.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };

  interface Opened {
    instance: DuckDBInstance;
    writer: Conn;
    readers: ConnectionPool;
  }
  const staged = new StagedRows();
  const opening: Promise<Opened> = (async () => {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, config);
    } catch (err) {
      throw openError(file, err);
    }
    const writer = new Conn(await instance.connect());
    staged.register(writer.connection);
    const readers: Conn[] = [];
    for (let i = 0; i < readerCount; i++) readers.push(new Conn(await instance.connect()));
    await writer.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at BIGINT NOT NULL)`);
    return { instance, writer, readers: new ConnectionPool(readers) };
  })();
  // An open failure surfaces on the first call (migrate), not as an unhandled rejection.
  opening.catch(() => {});

  let closed = false;
  /** The backup running now (one at a time), and its connection: closing the store interrupts it. */
  interface RunningBackup {
    connection?: DuckDBConnection;
    done: Promise<unknown>;
  }
  let backup: RunningBackup | undefined;
  const uaIds = new Lru<string, number>(20_000);
  /** Next ids, read from the tables after migrating (one writer process: a counter suffices). */
  let nextRequestId = 0;
  let nextUaId = 0;
  /**
   * Every key, read after migrating and then kept up to date by the writer: this process is the
   * only one that can write the file, so the copy is exact, and looking a key up (every ingest
   * batch and every read does) costs no query.
   */
  const keys = new KeyIndex();
  /** Per key, bumped after every committed write of its rows (see `dataVersion`). */
  const versions = new Map<number, number>();
  /**
   * Per key, its first and last request time once read (see `keyBounds`): extended by every
   * committed batch, dropped by any other write of the key's rows. Saves the dashboard a scan of
   * the key's whole history before each computation (60 ms at 5 M rows on a loaded machine).
   */
  const bounds = new Map<number, [number | null, number | null]>();
  const changed = (keyId: number) => {
    versions.set(keyId, (versions.get(keyId) ?? 0) + 1);
    bounds.delete(keyId);
  };
  /**
   * Batch ids stored in the last {@link RECENT_BATCHES_MS}, as `keyId batchId`: what a retry is
   * checked against, without a query or an index on disk. The table keeps them for a day like
   * PostgreSQL's and refills this copy at start, so a retry after a crash is recognised too.
   */
  const recentBatches = new RecentBatches();
  /** After a batch of the key committed: its version bumped, its known bounds extended. */
  const inserted = (keyId: number, rows: readonly NewRequestRow[]) => {
    const known = bounds.get(keyId);
    changed(keyId);
    if (!known || rows.length === 0) return;
    let [min, max] = known;
    for (const r of rows) {
      if (min === null || r.createdAt < min) min = r.createdAt;
      if (max === null || r.createdAt > max) max = r.createdAt;
    }
    bounds.set(keyId, [min, max]);
  };

  // Every write goes through this chain, one at a time, on the writer connection.
  let writeChain: Promise<unknown> = Promise.resolve();
  function write<T>(fn: (w: Conn, opened: Opened) => Promise<T>): Promise<T> {
    const run = writeChain.then(async () => {
      const opened = await opening;
      return fn(opened.writer, opened);
    });
    writeChain = run.catch(() => {});
    return run;
  }
  const closedError = () => new Error('@apilens/server: the DuckDB store is closed');
  /**
   * The opened database, for calls answered from memory (key lookups): they fail once the store
   * is closed, as those that query it do, instead of answering from a copy nobody updates.
   */
  async function open(): Promise<Opened> {
    if (closed) throw closedError();
    return opening;
  }
  async function read<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    return (await opening).readers.use(fn);
  }
  async function tx<T>(w: Conn, fn: () => Promise<T>): Promise<T> {
    await w.exec('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await w.exec('COMMIT');
      return result;
    } catch (err) {
      await w.exec('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async function readCounters(w: Conn): Promise<void> {
    const [[r]] = (await w.rows('SELECT coalesce(max(id), 0)::DOUBLE FROM requests')) as [[number]];
    const [[u]] = (await w.rows('SELECT coalesce(max(id), 0)::DOUBLE FROM user_agents')) as [[number]];
    nextRequestId = r + 1;
    nextUaId = u + 1;
    keys.clear();
    const rows = await w.rows(
      'SELECT id::DOUBLE, key_hash, dashboard_id, created_at::DOUBLE, last_used_at::DOUBLE FROM keys',
    );
    for (const [id, keyHash, dashboardId, createdAt, lastUsedAt] of rows) {
      keys.add({ id, keyHash, dashboardId, createdAt, lastUsedAt } as KeyRecord);
    }
    recentBatches.clear();
    const batches = await w.rows(
      'SELECT key_id::DOUBLE, batch_id, received_at::DOUBLE FROM ingest_batches WHERE received_at >= $1 ORDER BY received_at',
      [Date.now() - RECENT_BATCHES_MS],
    );
    for (const [keyId, batchId, at] of batches as [number, string, number][]) {
      recentBatches.add(batchKey(keyId, batchId), at);
    }
  }

  /**
   * Ids of the user agents of a group, inserting the unknown ones first, in their own
   * transaction: a user agent row that ends up unused (its batch failed) is harmless.
   */
  async function resolveUserAgents(w: Conn, group: Pending[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const missing = new Map<string, UserAgentInfo | undefined>();
    for (const p of group) {
      for (const r of p.rows) {
        const ua = r.userAgent;
        if (ua === null || ids.has(ua) || missing.has(ua)) continue;
        const id = uaIds.get(ua);
        if (id !== undefined) ids.set(ua, id);
        else missing.set(ua, p.userAgents.get(ua));
      }
    }
    if (missing.size === 0) return ids;
    const found = await w.rows(
      'SELECT user_agent, id::DOUBLE FROM user_agents WHERE user_agent IN (SELECT unnest($1))',
      [listValue([...missing.keys()])],
      [LIST(VARCHAR)],
    );
    for (const [ua, id] of found as [string, number][]) {
      ids.set(ua, id);
      uaIds.set(ua, id);
      missing.delete(ua);
    }
    if (missing.size === 0) return ids;
    const rows: unknown[][] = [[], [], [], [], []];
    const fresh = new Map<string, number>();
    let next = nextUaId;
    for (const [ua, info] of missing) {
      fresh.set(ua, next);
      rows[0]!.push(next++);
      rows[1]!.push(ua);
      rows[2]!.push(info?.browser ?? null);
      rows[3]!.push(info?.os ?? null);
      rows[4]!.push(info?.device ?? null);
    }
    await w.changes(
      `INSERT INTO user_agents (id, user_agent, browser, os, device)
       SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5)`,
      rows.map((r) => listValue(r as never)),
      [LIST(DOUBLE), LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR)],
    );
    // Committed: from here on these ids are taken.
    nextUaId = next;
    for (const [ua, id] of fresh) {
      ids.set(ua, id);
      uaIds.set(ua, id);
    }
    return ids;
  }

  let queue: Pending[] = [];
  let flushing = false;

  /** Writes every queued batch in one transaction; batches queued meanwhile go in the next one. */
  function flushQueue(): void {
    if (flushing || queue.length === 0) return;
    flushing = true;
    const group = queue;
    queue = [];
    write(async (w) => {
      // Every write goes through this queue, so the set of live keys is exact here: a batch for a
      // key deleted before this point is refused, and a deletion queued after it waits for it.
      const live = group.filter((p) => keys.byId.has(p.keyId));
      // A batch whose id is stored already (a retry of a committed batch whose answer was lost),
      // or is earlier in this group, is answered as stored and not stored again.
      const repeated = repeatedBatches(live);
      const accepted = live.filter((p) => !repeated.has(p));
      if (accepted.length > 0) {
        const ua = await resolveUserAgents(w, accepted);
        const firstId = nextRequestId;
        staged.stage(firstId, stagedRows(accepted, ua));
        nextRequestId += accepted.reduce((n, p) => n + p.rows.length, 0);
        const ids = accepted.filter((p) => p.batchId !== undefined);
        try {
          if (ids.length === 0) {
            // One statement in auto-commit: the whole group is one transaction.
            await w.changes(INSERT_STAGED);
          } else {
            await tx(w, async () => {
              await w.changes(
                'INSERT INTO ingest_batches SELECT unnest($1), unnest($2), $3',
                [listValue(ids.map((p) => p.keyId)), listValue(ids.map((p) => p.batchId!)), Date.now()],
                [LIST(DOUBLE), LIST(VARCHAR), DOUBLE],
              );
              await w.changes(INSERT_STAGED);
            });
          }
        } catch (err) {
          // Nothing of the group was stored: its ids may be handed out again.
          nextRequestId = firstId;
          throw err;
        } finally {
          staged.release();
        }
      }
      const now = Date.now();
      for (const p of accepted)
        if (p.batchId !== undefined) recentBatches.add(batchKey(p.keyId, p.batchId), now);
      return { live, accepted };
    })
      .then(
        ({ live, accepted }) => {
          for (const p of accepted) inserted(p.keyId, p.rows);
          for (const p of group) {
            if (live.includes(p)) p.resolve(p.rows.length);
            else p.reject(new UnknownKeyError());
          }
        },
        (err: Error) => {
          for (const p of group) p.reject(err);
        },
      )
      .finally(() => {
        flushing = false;
        flushQueue();
      });
  }

  /** The batches of a group whose id the key has stored already, or an earlier batch of the group has. */
  function repeatedBatches(group: Pending[]): Set<Pending> {
    const repeated = new Set<Pending>();
    const inGroup = new Set<string>();
    recentBatches.forgetBefore(Date.now() - RECENT_BATCHES_MS);
    for (const p of group) {
      if (p.batchId === undefined) continue;
      const k = batchKey(p.keyId, p.batchId);
      if (recentBatches.has(k) || inGroup.has(k)) repeated.add(p);
      else inGroup.add(k);
    }
    return repeated;
  }

  /** The group's rows with their key and user agent id, in order. */
  function* stagedRows(
    group: Pending[],
    ua: Map<string, number>,
  ): Generator<[number, NewRequestRow, number | null]> {
    for (const p of group) {
      for (const r of p.rows) yield [p.keyId, r, r.userAgent === null ? null : (ua.get(r.userAgent) ?? null)];
    }
  }

  return {
    kind: 'duckdb',
    description: `DuckDB ${file}`,

    async migrate() {
      return write(async (w) => {
        let count = 0;
        for (const m of DUCKDB_MIGRATIONS) {
          const applied = await tx(w, async () => {
            const done = await w.rows('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
            if (done.length > 0) return false;
            await w.exec(m.sql);
            await w.changes('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              m.version,
              m.name,
              Date.now(),
            ]);
            return true;
          });
          if (applied) count++;
        }
        await readCounters(w);
        return count;
      });
    },

    async schemaVersion() {
      const [[v]] = (await read((c) =>
        c.rows('SELECT coalesce(max(version), 0) FROM schema_migrations'),
      )) as [[number]];
      return v;
    },

    async ping() {
      await read((c) => c.rows('SELECT 1'));
    },

    async close() {
      if (closed) return;
      closed = true;
      // Let queued batches commit, then wait for the writer to finish.
      while (flushing || queue.length > 0) {
        flushQueue();
        await writeChain;
        await new Promise((r) => setImmediate(r));
      }
      await writeChain;
      if (backup) {
        // A backup can take minutes: the store closes now, and the backup fails (its temporary
        // file removed) rather than being cut off by closing the database under it.
        backup.connection?.interrupt();
        await backup.done;
      }
      let opened: Opened;
      try {
        opened = await opening;
      } catch {
        return;
      }
      opened.readers.close();
      opened.writer.close();
      // Checkpoints the WAL into the file, so the next start does not replay it.
      opened.instance.closeSync();
    },

    async createKey(key) {
      const id = await write(async (w) => {
        const rows = await w.rows(
          `INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)
           RETURNING id::DOUBLE`,
          [key.keyHash, key.dashboardId, key.createdAt],
        );
        const created = rows[0]![0] as number;
        return created;
      });
      const record: KeyRecord = {
        id,
        keyHash: key.keyHash,
        dashboardId: key.dashboardId,
        createdAt: key.createdAt,
        lastUsedAt: key.createdAt,
      };
      keys.add(record);
      return { ...record };
    },

    async findKeyByHash(keyHash) {
      await open();
      return keys.copy(keys.byHash.get(keyHash));
    },

    async findKeyByDashboardId(dashboardId) {
      await open();
      return keys.copy(keys.byDashboard.get(dashboardId));
    },

    async touchKey(keyId, now, minIntervalMs) {
      await open();
      const k = keys.byId.get(keyId);
      // Nothing to write (the common case): no transaction, no WAL fsync.
      if (!k || k.lastUsedAt >= now - minIntervalMs) return;
      await write(async (w) => {
        const changed = await w.changes(
          'UPDATE keys SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3',
          [now, keyId, now - minIntervalMs],
        );
        if (changed > 0) k.lastUsedAt = now;
      });
    },

    insertRequests(keyId, rows, userAgents, batchId) {
      return new Promise<number>((resolve, reject) => {
        if (closed) {
          reject(closedError());
          return;
        }
        queue.push({ keyId, rows, userAgents, batchId, resolve, reject });
        // Batches of the same turn of the event loop join one group.
        if (queue.length === 1) setImmediate(flushQueue);
      });
    },

    async queryRequests(keyId, query) {
      return read((c) => readRows(keyId, query, ({ sql, params }) => c.select(sql, params)));
    },

    async countRequests(keyId) {
      const rows =
        keyId === undefined
          ? await read((c) => c.rows('SELECT count(*)::DOUBLE FROM requests'))
          : await read((c) => c.rows('SELECT count(*)::DOUBLE FROM requests WHERE key_id = $1', [keyId]));
      return rows[0]![0] as number;
    },

    async deleteKey(keyId) {
      // On the writer: a batch for this key either commits before (and is deleted with the rest)
      // or after, when its key check fails (UnknownKeyError).
      return write(async (w) => {
        const counts = await tx(w, async () => {
          const requests = await w.changes('DELETE FROM requests WHERE key_id = $1', [keyId]);
          await w.changes('DELETE FROM ingest_batches WHERE key_id = $1', [keyId]);
          recentBatches.deleteKey(keyId);
          const monitoring = await deleteDuckDbKeyMonitoring(w, keyId);
          const keys = await w.changes('DELETE FROM keys WHERE id = $1', [keyId]);
          return { keys, requests, ...monitoring };
        });
        keys.delete(keyId);
        changed(keyId);
        return counts;
      });
    },

    async deleteRequestsBefore(cutoff) {
      // One statement on the writer: DuckDB deletes by marking rows in the row groups it scans,
      // without an index to maintain; the space is reused by later appends.
      return write(async (w) => {
        const n = await w.changes('DELETE FROM requests WHERE created_at < $1', [cutoff]);
        for (const key of keys.byId.keys()) changed(key);
        return n;
      });
    },

    async findInactiveKeys(cutoff) {
      const rows = await read((c) =>
        c.rows('SELECT id::DOUBLE FROM keys WHERE last_used_at < $1 ORDER BY id', [cutoff]),
      );
      return rows.map((r) => r[0] as number);
    },

    select(sql, params) {
      return read((c) => c.select(sql, params));
    },

    async importCsv(path) {
      const columns = STAGED_COLUMNS.map((c, i) => `'${c}': '${STAGED_TYPES[i]}'`).join(', ');
      return write(async (w) => {
        const n = await w.changes(
          insertDerivingFrom(`read_csv($1, header = false, columns = {${columns}})`),
          [path],
        );
        await readCounters(w);
        for (const key of keys.byId.keys()) changed(key);
        return n;
      });
    },

    async forgetBatchesBefore(cutoff) {
      return write(async (w) => {
        recentBatches.forgetBefore(cutoff);
        return w.changes('DELETE FROM ingest_batches WHERE received_at < $1', [cutoff]);
      });
    },

    async backup(file) {
      const { instance } = await open();
      if (backup) throw new Error('@apilens/server: a backup is running already; wait for it to finish');
      const running: RunningBackup = { done: Promise.resolve() };
      const result = backupDuckDb(instance, file, (connection) => {
        running.connection = connection;
      });
      running.done = result.catch(() => {});
      backup = running;
      try {
        return await result;
      } finally {
        backup = undefined;
      }
    },

    dataVersion(keyId) {
      return versions.get(keyId) ?? 0;
    },

    async keyBounds(keyId) {
      const known = bounds.get(keyId);
      if (known) return known;
      const version = versions.get(keyId) ?? 0;
      const [row] = await read((c) =>
        c.select('SELECT min(created_at), max(created_at) FROM requests WHERE key_id = $1', [keyId]),
      );
      const found = row as [number | null, number | null];
      // Kept only if no write of the key committed while it was read (the read may predate it).
      if ((versions.get(keyId) ?? 0) === version) bounds.set(keyId, found);
      return found;
    },

    ...duckDbMonitors({ write, read, tx, keyExists: (keyId) => keys.byId.has(keyId) }),
  };
}

/**
 * How long a DuckDB store recognises a batch id in memory: far longer than an SDK retries one
 * batch (seconds to minutes), and small enough to hold (an hour of batches at 30 a second is
 * 108 000 entries).
 */
export const RECENT_BATCHES_MS = 60 * 60 * 1000;

const batchKey = (keyId: number, batchId: string) => `${keyId} ${batchId}`;

/** Batch keys with the time they were stored, oldest first, dropped after RECENT_BATCHES_MS. */
class RecentBatches {
  private readonly at = new Map<string, number>();

  has(key: string): boolean {
    return this.at.has(key);
  }

  add(key: string, time: number): void {
    this.at.delete(key);
    this.at.set(key, time);
  }

  /** Drops the entries stored before `cutoff` (oldest first, so it stops at the first newer one). */
  forgetBefore(cutoff: number): void {
    for (const [key, time] of this.at) {
      if (time >= cutoff) break;
      this.at.delete(key);
    }
  }

  deleteKey(keyId: number): void {
    const prefix = `${keyId} `;
    for (const key of this.at.keys()) if (key.startsWith(prefix)) this.at.delete(key);
  }

  clear(): void {
    this.at.clear();
  }
}

/** The keys of a DuckDB store, by id, hash and dashboard id. */
class KeyIndex {
  readonly byId = new Map<number, KeyRecord>();
  readonly byHash = new Map<string, KeyRecord>();
  readonly byDashboard = new Map<string, KeyRecord>();

  add(k: KeyRecord): void {
    this.byId.set(k.id, k);
    this.byHash.set(k.keyHash, k);
    this.byDashboard.set(k.dashboardId, k);
  }

  delete(id: number): void {
    const k = this.byId.get(id);
    if (!k) return;
    this.byId.delete(id);
    this.byHash.delete(k.keyHash);
    this.byDashboard.delete(k.dashboardId);
  }

  clear(): void {
    this.byId.clear();
    this.byHash.clear();
    this.byDashboard.clear();
  }

  /** A copy, so that callers cannot change the index. */
  copy(k: KeyRecord | undefined): KeyRecord | null {
    return k ? { ...k } : null;
  }
}
