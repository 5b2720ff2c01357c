import { availableParallelism } from 'node:os';
import {
  BIGINT,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  INTEGER,
  LIST,
  listValue,
  SMALLINT,
  VARCHAR,
} from '@duckdb/node-api';
import { Lru } from '../lru.js';
import {
  type NewRequestRow,
  type RowQuery,
  type Store,
  type StoredRow,
  UnknownKeyError,
  type UserAgentInfo,
} from '../types.js';
import { Conn, ConnectionPool } from './duckdb-connection.js';
import { DUCKDB_MIGRATIONS } from './duckdb-migrations.js';
import { type KeyRow, toKey } from './sql.js';

/** Options of {@link openDuckDbStore}. */
export interface DuckDbStoreOptions {
  /**
   * DuckDB `memory_limit`: the most its buffer manager holds (cached blocks, hash tables, sorts);
   * beyond it queries spill to a temporary directory beside the file. The Node.js heap and
   * DuckDB's small unmanaged allocations come on top.
   * @default '256MB'
   */
  memoryLimit?: string;
  /** DuckDB worker threads for queries. @default the number of CPU cores */
  threads?: number;
  /** Reader connections (reads run while a batch commits). @default 3 */
  readers?: number;
}

/** Column types of `requests`, in table order, for the appender. */
const REQUEST_TYPES: DuckDBType[] = [
  BIGINT, // id
  BIGINT, // key_id
  BIGINT, // created_at
  VARCHAR, // hostname
  VARCHAR, // ip_address
  VARCHAR, // path
  VARCHAR, // route
  INTEGER, // user_agent_id
  VARCHAR, // method
  SMALLINT, // status
  INTEGER, // response_time
  VARCHAR, // location
  VARCHAR, // user_id
  VARCHAR, // framework
];

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

/**
 * Columns of a data API row (the order of `fromArray` in sql.ts). BIGINTs are read as DOUBLE:
 * ids and epoch milliseconds are far below 2^53, and a JS number is what StoredRow holds.
 */
const ROW_COLUMNS = `r.id::DOUBLE, r.hostname, r.ip_address, r.path, r.route, u.user_agent, u.browser, u.os,
  u.device, r.method, r.status, r.response_time, r.location, r.user_id, r.framework, r.created_at::DOUBLE`;

/**
 * The WHERE clause of a row query, with `$n` placeholders; values only ever travel as parameters.
 * Keyset conditions are spelled `created_at >= x AND (created_at > x OR id > y)` rather than as
 * a row comparison: only a plain bound on `created_at` lets DuckDB skip row groups by their
 * min/max.
 */
function rowWhere(keyId: number, q: RowQuery): { where: string; params: unknown[] } {
  const params: unknown[] = [keyId];
  const where = ['key_id = $1'];
  const add = (clause: (ph: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (q.from !== undefined) add((ph) => `created_at >= ${ph}`, q.from);
  if (q.to !== undefined) add((ph) => `created_at < ${ph}`, q.to);
  if (q.hostname !== undefined) add((ph) => `hostname = ${ph}`, q.hostname);
  if (q.ipAddress !== undefined) add((ph) => `ip_address = ${ph}`, q.ipAddress);
  if (q.status !== undefined) add((ph) => `status = ${ph}`, q.status);
  if (q.location !== undefined) add((ph) => `location = ${ph}`, q.location);
  if (q.userId !== undefined) add((ph) => `user_id = ${ph}`, q.userId);
  if (q.method !== undefined) add((ph) => `method = ${ph}`, q.method);
  if (q.route !== undefined) add((ph) => `route = ${ph}`, q.route);
  const cursor = q.after ?? q.start;
  if (cursor !== undefined) {
    params.push(cursor.createdAt, cursor.id);
    const t = `$${params.length - 1}`;
    const id = `$${params.length}`;
    where.push(`created_at >= ${t} AND (created_at > ${t} OR id ${q.after ? '>' : '>='} ${id})`);
  }
  return { where: where.join(' AND '), params };
}

function toStoredRow(a: unknown[]): StoredRow {
  return {
    id: a[0] as number,
    hostname: a[1] as string | null,
    ip_address: a[2] as string | null,
    path: a[3] as string,
    route: a[4] as string | null,
    user_agent: a[5] as string | null,
    browser: a[6] as string | null,
    os: a[7] as string | null,
    device: a[8] as string | null,
    method: a[9] as string,
    status: a[10] as number,
    response_time: a[11] as number,
    location: a[12] as string | null,
    user_id: a[13] as string | null,
    framework: a[14] as string | null,
    created_at: a[15] as number,
  };
}

interface Pending {
  keyId: number;
  rows: readonly NewRequestRow[];
  userAgents: ReadonlyMap<string, UserAgentInfo>;
  resolve(n: number): void;
  reject(err: Error): void;
}

/** A DuckDB "file is locked" error, reworded to say what to do. */
function openError(file: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
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
export function openDuckDbStore(file: string, options: DuckDbStoreOptions = {}): Store {
  const threads = options.threads ?? availableParallelism();
  const readerCount = options.readers ?? 3;
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
  const opening: Promise<Opened> = (async () => {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, config);
    } catch (err) {
      throw openError(file, err);
    }
    const writer = new Conn(await instance.connect());
    const readers: Conn[] = [];
    for (let i = 0; i < readerCount; i++) readers.push(new Conn(await instance.connect()));
    await writer.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at BIGINT NOT NULL)`);
    return { instance, writer, readers: new ConnectionPool(readers) };
  })();
  // An open failure surfaces on the first call (migrate), not as an unhandled rejection.
  opening.catch(() => {});

  let closed = false;
  const uaIds = new Lru<string, number>(20_000);
  /** Next ids, read from the tables after migrating (one writer process: a counter suffices). */
  let nextRequestId = 0;
  let nextUaId = 0;

  // Every write goes through this chain, one at a time, on the writer connection.
  let writeChain: Promise<unknown> = Promise.resolve();
  function write<T>(fn: (w: Conn) => Promise<T>): Promise<T> {
    const run = writeChain.then(async () => fn((await opening).writer));
    writeChain = run.catch(() => {});
    return run;
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
  }

  /**
   * Ids of the user agents of a group, inserting the unknown ones in the current transaction.
   * `fresh` collects the new ones, cached only after COMMIT (a rolled-back id must not be reused).
   */
  async function resolveUserAgents(w: Conn, group: Pending[], fresh: Map<string, number>) {
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
    const list = [...missing.keys()];
    const found = await w.rows(
      'SELECT user_agent, id FROM user_agents WHERE user_agent IN (SELECT unnest($1))',
      [listValue(list)],
      [LIST(VARCHAR)],
    );
    for (const [ua, id] of found as [string, number][]) {
      ids.set(ua, id);
      fresh.set(ua, id);
      missing.delete(ua);
    }
    if (missing.size === 0) return ids;
    const rows: unknown[][] = [[], [], [], [], []];
    for (const [ua, info] of missing) {
      const id = nextUaId++;
      ids.set(ua, id);
      fresh.set(ua, id);
      rows[0]!.push(id);
      rows[1]!.push(ua);
      rows[2]!.push(info?.browser ?? null);
      rows[3]!.push(info?.os ?? null);
      rows[4]!.push(info?.device ?? null);
    }
    await w.changes(
      `INSERT INTO user_agents (id, user_agent, browser, os, device)
       SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5)`,
      rows.map((r) => listValue(r as never)),
      [LIST(INTEGER), LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR)],
    );
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
    const startId = nextRequestId;
    const startUa = nextUaId;
    const fresh = new Map<string, number>();
    write(async (w) => {
      const keyIds = [...new Set(group.map((p) => p.keyId))];
      const existing = new Set(
        (
          await w.rows(
            'SELECT id::DOUBLE FROM keys WHERE id IN (SELECT unnest($1))',
            [listValue(keyIds.map(BigInt))],
            [LIST(BIGINT)],
          )
        ).map((r) => r[0] as number),
      );
      const accepted = group.filter((p) => existing.has(p.keyId));
      return tx(w, async () => {
        const ua = await resolveUserAgents(w, accepted, fresh);
        const appender = await w.connection.createAppender('requests');
        try {
          appendRows(appender, accepted, ua);
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
        return existing;
      });
    })
      .then(
        (existing) => {
          for (const [ua, id] of fresh) uaIds.set(ua, id);
          for (const p of group) {
            if (existing.has(p.keyId)) p.resolve(p.rows.length);
            else p.reject(new UnknownKeyError());
          }
        },
        (err: Error) => {
          // Nothing of the group was committed: its ids may be handed out again.
          nextRequestId = startId;
          nextUaId = startUa;
          for (const p of group) p.reject(err);
        },
      )
      .finally(() => {
        flushing = false;
        flushQueue();
      });
  }

  /** Fills data chunks column by column (one native call per value, none per row object). */
  function appendRows(
    appender: Awaited<ReturnType<Conn['connection']['createAppender']>>,
    group: Pending[],
    ua: Map<string, number>,
  ): void {
    let cols: unknown[][] = [];
    let n = 0;
    const emit = () => {
      if (n === 0) return;
      const chunk = DuckDBDataChunk.create(REQUEST_TYPES, n);
      chunk.setColumns(n === CHUNK_ROWS ? (cols as never) : (cols.map((c) => c.slice(0, n)) as never));
      appender.appendDataChunk(chunk);
      n = 0;
    };
    const fresh = () => Array.from({ length: REQUEST_TYPES.length }, () => new Array<unknown>(CHUNK_ROWS));
    cols = fresh();
    for (const p of group) {
      const key = BigInt(p.keyId);
      for (const r of p.rows) {
        cols[0]![n] = BigInt(nextRequestId++);
        cols[1]![n] = key;
        cols[2]![n] = BigInt(r.createdAt);
        cols[3]![n] = r.hostname;
        cols[4]![n] = r.ipAddress;
        cols[5]![n] = r.path;
        cols[6]![n] = r.route;
        cols[7]![n] = r.userAgent === null ? null : (ua.get(r.userAgent) ?? null);
        cols[8]![n] = r.method;
        cols[9]![n] = r.status;
        cols[10]![n] = r.responseTime;
        cols[11]![n] = r.location;
        cols[12]![n] = r.userId;
        cols[13]![n] = r.framework;
        if (++n === CHUNK_ROWS) {
          emit();
          cols = fresh();
        }
      }
    }
    emit();
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
      const rows = await write((w) =>
        w.rows(
          `INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)
           RETURNING id::DOUBLE`,
          [key.keyHash, key.dashboardId, key.createdAt],
        ),
      );
      return {
        id: rows[0]![0] as number,
        keyHash: key.keyHash,
        dashboardId: key.dashboardId,
        createdAt: key.createdAt,
        lastUsedAt: key.createdAt,
      };
    },

    async findKeyByHash(keyHash) {
      return findKey('key_hash', keyHash);
    },

    async findKeyByDashboardId(dashboardId) {
      return findKey('dashboard_id', dashboardId);
    },

    async touchKey(keyId, now, minIntervalMs) {
      await write((w) =>
        w.changes('UPDATE keys SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3', [
          now,
          keyId,
          now - minIntervalMs,
        ]),
      );
    },

    insertRequests(keyId, rows, userAgents) {
      return new Promise<number>((resolve, reject) => {
        if (closed) {
          reject(new Error('@apilens/server: the DuckDB store is closed'));
          return;
        }
        queue.push({ keyId, rows, userAgents, resolve, reject });
        // Batches of the same turn of the event loop join one group.
        if (queue.length === 1) setImmediate(flushQueue);
      });
    },

    async queryRequests(keyId, query: RowQuery) {
      return read(async (c) => {
        let q = query;
        if (q.offset) {
          const { where, params } = rowWhere(keyId, q);
          const b = await c.rows(
            `SELECT created_at::DOUBLE, id::DOUBLE FROM requests WHERE ${where}
             ORDER BY created_at, id LIMIT 1 OFFSET $${params.length + 1}`,
            [...params, q.offset],
          );
          if (b.length === 0) return [];
          q = { ...q, offset: undefined, start: { createdAt: b[0]![0] as number, id: b[0]![1] as number } };
        }
        const { where, params } = rowWhere(keyId, q);
        // Top-N on the requests table alone, then the join: the join runs on the page's rows only.
        const rows = await c.rows(
          `SELECT ${ROW_COLUMNS}
           FROM (SELECT * FROM requests WHERE ${where} ORDER BY created_at, id LIMIT $${params.length + 1}) r
           LEFT JOIN user_agents u ON u.id = r.user_agent_id
           ORDER BY r.created_at, r.id`,
          [...params, q.limit],
        );
        return rows.map(toStoredRow);
      });
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
      return write((w) =>
        tx(w, async () => {
          const requests = await w.changes('DELETE FROM requests WHERE key_id = $1', [keyId]);
          const keys = await w.changes('DELETE FROM keys WHERE id = $1', [keyId]);
          return { keys, requests };
        }),
      );
    },

    async findInactiveKeys(cutoff) {
      const rows = await read((c) =>
        c.rows('SELECT id::DOUBLE FROM keys WHERE last_used_at < $1 ORDER BY id', [cutoff]),
      );
      return rows.map((r) => r[0] as number);
    },

    sql: {
      dialect: 'duckdb',
      select: (sql, params) => read((c) => c.select(sql, params)),
    },
  };

  async function findKey(column: 'key_hash' | 'dashboard_id', value: string) {
    const rows = await read((c) =>
      c.rows(
        `SELECT id::DOUBLE, key_hash, dashboard_id, created_at::DOUBLE, last_used_at::DOUBLE FROM keys WHERE ${column} = $1`,
        [value],
      ),
    );
    const r = rows[0];
    if (!r) return null;
    return toKey({
      id: r[0],
      key_hash: r[1],
      dashboard_id: r[2],
      created_at: r[3],
      last_used_at: r[4],
    } as KeyRow);
  }
}
