import pg from 'pg';
import type { NewRequestRow } from '../columns.js';
import { Lru } from '../lru.js';
import { type Store, UnknownKeyError, type UserAgentInfo } from '../types.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { postgresJobLock } from './postgres-job-lock.js';
import { deletePostgresKeyMonitoring, postgresMonitors } from './postgres-monitors.js';
import {
  countRollups,
  deleteKeyRollups,
  deleteKeyRollupsBefore,
  drainKeyRollups,
  FOLD_GRACE_MS,
  FOLDED,
  foldKeyRollups,
  insertWithRollups,
  ROLLUP_SHARDS,
} from './postgres-rollups.js';
import { fillInsertColumns, INSERT_COLUMNS, INSERT_INTO, type KeyRow, readRows, toKey } from './sql.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Maximum pooled connections for ingest, keys, deletion and the jobs. @default 10 */
  poolSize?: number;
  /**
   * Maximum pooled connections for `select` (the dashboard and whole exports), a pool of its
   * own: however many exports stream, ingest keeps every connection of its pool. @default 5
   */
  readPoolSize?: number;
  /**
   * How long after a batch its pending dashboard rollups are written (see "PostgreSQL rollups" in
   * the README): the batches of a key arriving meanwhile are written together, and the dashboard
   * counts pending batches from their rows, so figures are exact either way. `false`: only by
   * `drainRollups()` and the maintenance job (for tests). @default 250
   */
  rollupDrainDelayMs?: number | false;
}

/** {@link PostgresStoreOptions.rollupDrainDelayMs}'s default. */
const DRAIN_DELAY_MS = 250;
/** How long a drain that failed (the database unreachable) waits before it is tried again. */
const DRAIN_RETRY_MS = 5_000;

/**
 * How long a background read (a step of a whole export) waits at most for this process's
 * ingest batches in flight to finish before it starts anyway: while it waits, the export's
 * backend leaves the CPU to the batches; the bound keeps exports moving under constant ingest.
 */
const BACKGROUND_WAIT_MS = 50;

// BIGINT columns hold epoch milliseconds and ids, far below 2^53: read them as numbers.
const types = {
  getTypeParser(oid: number, format?: any) {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Any 32-bit number identifying the migration lock among advisory locks. */
const MIGRATION_LOCK = 0x61706c73;

/** `postgres://user:secret@host/db` → `postgres://user@host/db`, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

/** A batch is one statement whatever its size: one array parameter per column, unnested into rows. */
const INSERT_ROWS = `${INSERT_INTO}
SELECT $1, * FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 2}::${c.sql.postgres}[]`).join(', ')})`;

/** Records a batch id; no row when the key already has it. The database's clock: one for every process. */
const RECORD_BATCH = `INSERT INTO ingest_batches (key_id, batch_id, received_at)
VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) ON CONFLICT DO NOTHING`;

/** Rows deleted per statement by the age retention. */
const DELETE_CHUNK = 20_000;
/** The outer bound on created_at prunes the partitions past the cutoff from the id lookups. */
const DELETE_OLD_CHUNK = `DELETE FROM requests WHERE created_at < $2 AND id IN (
  SELECT id FROM requests WHERE key_id = $1 AND created_at < $2 ORDER BY created_at LIMIT $3)`;

/** Monthly partitions of requests (not the default one), with their upper bound (epoch ms). */
const MONTH_PARTITIONS = `SELECT c.relname AS name,
  (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''?(-?\\d+)''?\\)'))[1]::BIGINT AS hi
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'requests'::regclass AND c.relname <> 'requests_default'`;

/**
 * Detaches and drops the monthly partitions that end at or before `cutoff`; resolves with the
 * rows they held. Detaching takes a brief exclusive lock on the parent table: it gives up after
 * 5 s (a long export holds it off) and leaves that month to the row deletion that follows.
 */
async function dropMonthsBefore(pool: pg.Pool, cutoff: number): Promise<number> {
  const months = await pool.query<{ name: string; hi: number }>(MONTH_PARTITIONS);
  let dropped = 0;
  for (const m of months.rows.filter((r) => r.hi <= cutoff).sort((a, b) => a.hi - b.hi)) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL lock_timeout = '5s'");
      const n = await client.query<{ n: number }>(
        `SELECT count(*)::bigint AS n FROM ${pg.escapeIdentifier(m.name)}`,
      );
      await client.query(`ALTER TABLE requests DETACH PARTITION ${pg.escapeIdentifier(m.name)}`);
      await client.query(`DROP TABLE ${pg.escapeIdentifier(m.name)}`);
      await client.query('COMMIT');
      dropped += n.rows[0]?.n ?? 0;
    } catch {
      await client.query('ROLLBACK').catch(() => {});
    } finally {
      client.release();
    }
  }
  return dropped;
}

/**
 * The batch's INSERT and its dashboard rollups, one statement (see postgres-rollups.ts), inside
 * {@link insertRequests}' transaction: every grain for the rows created before the key's fold
 * watermark (the last parameter), the hour grain for the others.
 */
const SHARD_PARAM = `$${INSERT_COLUMNS.length + 2}::SMALLINT`;
const INSERT_ROWS_AND_LATE = insertWithRollups(INSERT_ROWS, SHARD_PARAM, {
  before: `$${INSERT_COLUMNS.length + 3}::BIGINT`,
});

/**
 * The common case in one statement, its own transaction: one round trip instead of four (BEGIN,
 * the key's watermark, the INSERT, COMMIT), each a wait for a scheduler on a busy machine. The
 * key's row is read `FOR SHARE` first (`k`, the same lock and the same watermark as the
 * transaction of {@link INSERT_ROWS_AND_LATE}: a concurrent deletion or fold of the key waits for
 * this statement, or this one for it and then reads the moved watermark). Nothing is written
 * unless every row is at or after the watermark (parameter "earliest", the batch's earliest
 * `created_at`), so that the hour grain alone is right; else the result's `w` tells the caller to
 * take the transaction. With a batch id (last parameter), the id is recorded under the same
 * condition and the rows inserted only when it is new (`b`); its `ON CONFLICT` waits for an
 * attempt still in flight. The totals, response times and dimensions come counted from the
 * collector (`countRollups`), the other hour rows from the inserted rows.
 */
const EARLIEST = `$${INSERT_COLUMNS.length + 3}::BIGINT`;
/** The first of countRollups' parameters (ten arrays), after the batch's and then the batch id. */
const COUNTED = INSERT_COLUMNS.length + 4;
const BATCH_ID = COUNTED + 10;
const KEY_CTE = `k AS (SELECT ${FOLDED} AS w FROM keys WHERE id = $1 FOR SHARE)`;
const FITS = `(SELECT w FROM k) <= ${EARLIEST}`;
const BATCH_CTE = `b AS (INSERT INTO ingest_batches (key_id, batch_id, received_at)
  SELECT $1, $${BATCH_ID}::TEXT, (extract(epoch FROM clock_timestamp()) * 1000)::bigint
  WHERE ${FITS} ON CONFLICT DO NOTHING RETURNING 1)`;
const oneStatement = (batch: boolean, queue = true) =>
  insertWithRollups(
    `${INSERT_ROWS} WHERE ${FITS}${batch ? ' AND EXISTS (SELECT 1 FROM b)' : ''}`,
    SHARD_PARAM,
    {
      counted: COUNTED,
      queue,
      head: batch ? `${KEY_CTE}, ${BATCH_CTE}` : KEY_CTE,
      result: `(SELECT w FROM k) AS w, ${batch ? '(SELECT count(*) FROM b)' : '1'}::INT AS fresh, count(*) AS n`,
    },
  );
const INSERT_HOURS = oneStatement(false);
const INSERT_HOURS_WITH_ID = oneStatement(true);
/** The same, with every hour rollup upserted in the statement (the pending queue bypassed). */
const INSERT_HOURS_INLINE = oneStatement(false, false);
const INSERT_HOURS_INLINE_WITH_ID = oneStatement(true, false);

/**
 * How many of a key's batches this process leaves in the pending queue between two of its drains:
 * past it, a batch writes its rollups in its statement, as before the queue. Under load a drain
 * costs more per row than the batch's own upserts (it reads the rows back), so without a bound a
 * key ingesting faster than its drains would pile up pending rows without end, and every dashboard
 * query of the key would read them all.
 */
const MAX_QUEUED_BATCHES = 8;

const HOUR = 3_600_000;

/**
 * Connects to PostgreSQL as a {@link Store}: a connection pool, one multi-row `unnest`
 * INSERT per batch inside a transaction. Call `migrate()` before use.
 *
 * @example
 * const store = openPostgresStore(process.env.DATABASE_URL);
 * await store.migrate();
 */
export function openPostgresStore(connectionString: string, options: PostgresStoreOptions = {}): Store {
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, types });
  const readPool = new pg.Pool({ connectionString, max: options.readPoolSize ?? 5, types });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  readPool.on('error', () => {});
  // Ingest batches in flight in this process, and background reads waiting for them to end.
  let batches = 0;
  let idle: Array<() => void> = [];
  const batchDone = () => {
    if (--batches > 0) return;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };
  /** Resolves when no batch is in flight, or after BACKGROUND_WAIT_MS. */
  const afterBatches = () =>
    batches === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, BACKGROUND_WAIT_MS);
          idle.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
  const uaIds = new Lru<string, number>(20_000);
  // Batches in flight per rollup shard in this process (see ROLLUP_SHARDS): a batch takes the
  // least used. The first one tried differs between processes, so that several collectors
  // mostly write different shards.
  const inFlight = new Array<number>(ROLLUP_SHARDS).fill(0);
  const firstShard = Math.floor(Math.random() * (ROLLUP_SHARDS - 1));
  const takeShard = () => {
    let shard = 1 + firstShard;
    for (let i = 1; i < ROLLUP_SHARDS - 1; i++) {
      const s = 1 + ((firstShard + i) % (ROLLUP_SHARDS - 1));
      if (inFlight[s]! < inFlight[shard]!) shard = s;
    }
    inFlight[shard]!++;
    return shard;
  };

  // The drain of each key's pending batches (postgres-rollups.ts), some time after its batch:
  // `due` holds the key's timer (null: due again when the drain in flight ends), `draining` the
  // drain in flight. One at a time per key in this process (two would be right, only wasteful).
  const drainDelay = options.rollupDrainDelayMs ?? DRAIN_DELAY_MS;
  if (drainDelay !== false && !(Number.isFinite(drainDelay) && drainDelay >= 0)) {
    throw new TypeError(
      `@apilens/server: openPostgresStore's rollupDrainDelayMs must be a number of milliseconds (0 or more) or false, got ${String(drainDelay).slice(0, 40)}.`,
    );
  }
  const due = new Map<number, NodeJS.Timeout | null>();
  const draining = new Map<number, Promise<void>>();
  let closing = false;
  const scheduleDrain = (keyId: number, delay: number) => {
    if (closing || due.has(keyId)) return;
    if (draining.has(keyId)) {
      due.set(keyId, null);
      return;
    }
    const timer = setTimeout(() => drain(keyId), delay);
    timer.unref();
    due.set(keyId, timer);
  };
  // Batches of each key this process sent to the queue since its last drain of the key began.
  const queued = new Map<number, number>();
  const drain = (keyId: number) => {
    due.delete(keyId);
    queued.delete(keyId);
    const shard = takeShard();
    let failed = false;
    const run = drainKeyRollups(pool, keyId, shard)
      // Left in the queue, still counted by readers: tried again later, and by the maintenance
      // job's drainRollups (which logs its errors).
      .then(
        () => {},
        () => {
          failed = true;
        },
      )
      .finally(() => {
        inFlight[shard]!--;
        draining.delete(keyId);
        // Batches stored during the drain: theirs next.
        const again = due.get(keyId) === null;
        if (again) due.delete(keyId);
        if (failed) scheduleDrain(keyId, DRAIN_RETRY_MS);
        else if (again) scheduleDrain(keyId, drainDelay || 0);
      });
    draining.set(keyId, run);
  };

  const jobLock = postgresJobLock(connectionString);

  async function tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Ids of the given user agents, inserting the unknown ones (outside the batch transaction). */
  async function resolveUserAgents(
    rows: readonly NewRequestRow[],
    userAgents: ReadonlyMap<string, UserAgentInfo>,
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const missing = new Set<string>();
    for (const r of rows) {
      const ua = r.userAgent;
      if (ua === null || ids.has(ua)) continue;
      const id = uaIds.get(ua);
      if (id !== undefined) ids.set(ua, id);
      else missing.add(ua);
    }
    if (missing.size === 0) return ids;
    // Sorted so that concurrent batches take the unique-index locks in one order (no deadlock).
    const list = [...missing].sort();
    const info = list.map((ua) => userAgents.get(ua));
    await pool.query(
      `INSERT INTO user_agents (user_agent, browser, os, device)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (user_agent) DO NOTHING`,
      [
        list,
        info.map((i) => i?.browser ?? null),
        info.map((i) => i?.os ?? null),
        info.map((i) => i?.device ?? null),
      ],
    );
    const found = await pool.query<{ id: number; user_agent: string }>(
      'SELECT id, user_agent FROM user_agents WHERE user_agent = ANY($1::text[])',
      [list],
    );
    for (const row of found.rows) {
      ids.set(row.user_agent, row.id);
      uaIds.set(row.user_agent, row.id);
    }
    return ids;
  }

  return {
    kind: 'postgres',
    description: `PostgreSQL ${redactUrl(connectionString)}`,

    async migrate() {
      return tx(async (c) => {
        // Serialises servers starting at the same time against one database.
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
        const done = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
        const applied = new Set(done.rows.map((r) => r.version));
        let count = 0;
        for (const m of POSTGRES_MIGRATIONS) {
          if (applied.has(m.version)) continue;
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            Date.now(),
          ]);
          count++;
        }
        return count;
      });
    },

    async schemaVersion() {
      const r = await pool.query<{ v: number }>(
        'SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations',
      );
      return r.rows[0]?.v ?? 0;
    },

    async ping() {
      await pool.query('SELECT 1');
    },

    async close() {
      // Drains due are left to the maintenance job (readers count pending batches meanwhile).
      closing = true;
      for (const timer of due.values()) if (timer) clearTimeout(timer);
      due.clear();
      await Promise.all(draining.values());
      await jobLock.release();
      await Promise.all([pool.end(), readPool.end()]);
    },

    leadJobs: jobLock.lead,

    async createKey(key) {
      const r = await pool.query<KeyRow>(
        `INSERT INTO keys (key_hash, dashboard_id, created_at, last_used_at) VALUES ($1, $2, $3, $3) RETURNING *`,
        [key.keyHash, key.dashboardId, key.createdAt],
      );
      return toKey(r.rows[0])!;
    },

    async findKeyByHash(keyHash) {
      const r = await pool.query<KeyRow>('SELECT * FROM keys WHERE key_hash = $1', [keyHash]);
      return toKey(r.rows[0]);
    },

    async findKeyByDashboardId(dashboardId) {
      const r = await pool.query<KeyRow>('SELECT * FROM keys WHERE dashboard_id = $1', [dashboardId]);
      return toKey(r.rows[0]);
    },

    async touchKey(keyId, now, minIntervalMs) {
      await pool.query('UPDATE keys SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3', [
        now,
        keyId,
        now - minIntervalMs,
      ]);
    },

    async insertRequests(keyId, rows, userAgents, batchId) {
      const ua = await resolveUserAgents(rows, userAgents);
      const n = rows.length;
      const cols = INSERT_COLUMNS.map(() => new Array<unknown>(n));
      for (let i = 0; i < n; i++) {
        const r = rows[i]!;
        fillInsertColumns(cols, i, r, r.userAgent === null ? null : (ua.get(r.userAgent) ?? null));
      }
      // No row: any watermark fits (the key is still checked, the batch id still recorded).
      let earliest = Number.MAX_SAFE_INTEGER;
      for (const r of rows) if (r.createdAt < earliest) earliest = r.createdAt;
      const counted = countRollups(rows, (r) =>
        r.userAgent === null ? null : (ua.get(r.userAgent) ?? null),
      );
      // Held until the batch commits: its rollup row locks last until then.
      const shard = takeShard();
      const queue = (queued.get(keyId) ?? 0) < MAX_QUEUED_BATCHES;
      if (queue) queued.set(keyId, (queued.get(keyId) ?? 0) + 1);
      let sentToQueue = false;
      batches++;
      try {
        const withId = batchId !== undefined;
        const one = await pool.query<{ w: number | null; fresh: number; n: number }>(
          queue
            ? withId
              ? INSERT_HOURS_WITH_ID
              : INSERT_HOURS
            : withId
              ? INSERT_HOURS_INLINE_WITH_ID
              : INSERT_HOURS_INLINE,
          [keyId, ...cols, shard, earliest, ...counted, ...(withId ? [batchId] : [])],
        );
        const r = one.rows[0]!;
        if (r.w === null) throw new UnknownKeyError();
        // Stored, or a retry of a batch another attempt stored (nothing to add).
        if (r.w <= earliest) {
          sentToQueue = queue && r.n > 0;
          if (sentToQueue && drainDelay !== false) scheduleDrain(keyId, drainDelay);
          return r.fresh === 0 ? n : r.n;
        }
        // Rows before the key's fold watermark: the transaction below, which writes every grain.
        return await tx(async (c) => {
          // FOR SHARE: a concurrent deleteKey waits for this batch, then deletes its rows too;
          // so does a fold of the key's rollups, and this reads its watermark after any fold.
          const key = await c.query<{ w: number }>(
            `SELECT ${FOLDED} AS w FROM keys WHERE id = $1 FOR SHARE`,
            [keyId],
          );
          if (key.rowCount === 0) throw new UnknownKeyError();
          const w = key.rows[0]!.w;
          if (batchId !== undefined) {
            // A retry of a batch another attempt stored: nothing to add. An attempt still in
            // flight (its process died mid-transaction) holds the id's index entry, so this
            // waits for its commit or rollback rather than storing the rows a second time.
            const fresh = await c.query(RECORD_BATCH, [keyId, batchId]);
            if (fresh.rowCount === 0) return n;
          }
          // Right whatever the watermark (the rows at or after it get the hour grain only).
          const ins = await c.query<{ n: number }>(INSERT_ROWS_AND_LATE, [keyId, ...cols, shard, w]);
          return ins.rows[0]?.n ?? n;
        });
      } finally {
        // A batch that left nothing in the queue gives its place back.
        if (queue && !sentToQueue && queued.has(keyId))
          queued.set(keyId, Math.max(0, queued.get(keyId)! - 1));
        inFlight[shard]!--;
        batchDone();
      }
    },

    async queryRequests(keyId, query) {
      return readRows(
        keyId,
        query,
        async ({ sql, params }) =>
          (await readPool.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows,
      );
    },

    async countRequests(keyId) {
      const r =
        keyId === undefined
          ? await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM requests')
          : await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM requests WHERE key_id = $1', [
              keyId,
            ]);
      return r.rows[0]?.n ?? 0;
    },

    async deleteKey(keyId) {
      return tx(async (c) => {
        // Key first: its row lock waits for in-flight batches (FOR SHARE) and blocks new ones.
        const keys = (await c.query('DELETE FROM keys WHERE id = $1', [keyId])).rowCount ?? 0;
        const requests = (await c.query('DELETE FROM requests WHERE key_id = $1', [keyId])).rowCount ?? 0;
        await c.query('DELETE FROM ingest_batches WHERE key_id = $1', [keyId]);
        await deleteKeyRollups(c, keyId);
        return { keys, requests, ...(await deletePostgresKeyMonitoring(c, keyId)) };
      });
    },

    async deleteRequestsBefore(cutoff) {
      // Whole months first: a partition entirely before the cutoff is detached and dropped (no row
      // by row deletion, no dead tuples). Then the month straddling the cutoff and the default
      // partition, per key in chunks, each its own short transaction.
      let total = await dropMonthsBefore(pool, cutoff);
      const keys = await pool.query<{ id: number }>('SELECT id FROM keys ORDER BY id');
      for (const { id } of keys.rows) {
        for (;;) {
          const n = (await pool.query(DELETE_OLD_CHUNK, [id, cutoff, DELETE_CHUNK])).rowCount ?? 0;
          total += n;
          if (n < DELETE_CHUNK) break;
        }
      }
      return total;
    },

    async deleteRollupsBefore(cutoff) {
      const keys = await pool.query<{ id: number }>('SELECT id FROM keys ORDER BY id');
      for (const { id } of keys.rows) await tx((c) => deleteKeyRollupsBefore(c, id, cutoff));
    },

    async drainRollups() {
      // Every key's, whoever left them (this process's scheduled drains, a process that died).
      queued.clear();
      const keys = await pool.query<{ id: number }>('SELECT DISTINCT key_id AS id FROM rollup_pending');
      let n = 0;
      for (const { id } of keys.rows) n += await drainKeyRollups(pool, id);
      return n;
    },

    async foldRollups(now) {
      // Finished hours, FOLD_GRACE_MS after their end; each key in its own short transaction.
      const to = Math.floor((now - FOLD_GRACE_MS) / HOUR) * HOUR;
      const keys = await pool.query<{ id: number }>(`SELECT id FROM keys WHERE ${FOLDED} < $1 ORDER BY id`, [
        to,
      ]);
      let folded = 0;
      for (const { id } of keys.rows) if (await tx((c) => foldKeyRollups(c, id, to))) folded++;
      return folded;
    },

    async prepareMonths(at) {
      // This month and the next two, so that live rows never land in the default partition.
      for (let k = 0; k <= 2; k++) {
        const d = new Date(at);
        await pool.query('SELECT apilens_request_partition($1)', [
          Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1),
        ]);
      }
    },

    async forgetBatchesBefore(cutoff) {
      return (await pool.query('DELETE FROM ingest_batches WHERE received_at < $1', [cutoff])).rowCount ?? 0;
    },

    async findInactiveKeys(cutoff) {
      const r = await pool.query<{ id: number }>('SELECT id FROM keys WHERE last_used_at < $1 ORDER BY id', [
        cutoff,
      ]);
      return r.rows.map((row) => row.id);
    },

    async select(sql, params, o) {
      if (o?.background) await afterBatches();
      const query = { text: sql, values: params as unknown[], rowMode: 'array' as const };
      return (await readPool.query<unknown[]>(query)).rows;
    },

    ...postgresMonitors(pool, tx),
  };
}
