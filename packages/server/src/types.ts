import type { NewRequestRow, StoredRow } from './columns.js';
import type { MonitorStore } from './monitor/store-types.js';

export type { NewRequestRow, StoredRow } from './columns.js';

/** Which database a {@link Store} writes to. */
export type StoreKind = 'duckdb' | 'postgres';

/** An API key as stored: only the SHA-256 of the key itself is kept. */
export interface KeyRecord {
  /** Internal id that request rows reference. */
  id: number;
  /** Hex SHA-256 of the API key. */
  keyHash: string;
  /** Read-only id for sharing a dashboard; not a secret. */
  dashboardId: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds of the last ingest or read with this key. */
  lastUsedAt: number;
}

/** What the parsed user agent says, stored once per distinct user agent string. */
export interface UserAgentInfo {
  browser: string | null;
  os: string | null;
  device: string | null;
}

/** Filters of the data API; every field is optional and they combine with AND. */
export interface RowFilter {
  /** Inclusive lower bound, epoch milliseconds. */
  from?: number;
  /** Exclusive upper bound, epoch milliseconds. */
  to?: number;
  hostname?: string;
  ipAddress?: string;
  status?: number;
  location?: string;
  userId?: string;
  method?: string;
  route?: string;
}

/** A page of rows in (created_at, id) order. */
export interface RowQuery extends RowFilter {
  limit: number;
  /** Rows to skip (page-based reads). */
  offset?: number;
  /** Keyset cursor: only rows after this (created_at, id) (streamed exports). */
  after?: { createdAt: number; id: number };
  /** Inclusive keyset start: rows at or after this (created_at, id). */
  start?: { createdAt: number; id: number };
}

/** How much a deletion removed. */
export interface DeleteCounts {
  keys: number;
  requests: number;
  /** Monitors and their stored attempts (stores with monitoring). */
  monitors?: number;
  pings?: number;
}

/**
 * The storage interface behind the collector. Two implementations ship: {@link openDuckDbStore}
 * (embedded, the default) and {@link openPostgresStore}; both pass the same conformance suite.
 * All methods are async so a network database fits the same shape.
 */
export interface Store extends Partial<MonitorStore> {
  // The monitoring methods (`createMonitor`, `claimDueMonitors`, …; see MonitorStore) are
  // optional: DuckDB and PostgreSQL have them; a custom store without them gets 501 from the
  // monitoring routes and no pinger.
  readonly kind: StoreKind;
  /** Human-readable location for logs, without credentials, e.g. `DuckDB ./apilens.duckdb`. */
  readonly description: string;
  /** Applies pending schema migrations; returns how many were applied. Idempotent. */
  migrate(): Promise<number>;
  /** Highest applied migration version. */
  schemaVersion(): Promise<number>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Whether this process runs the jobs that must run once per database (retention, deleting old
   * monitor attempts, the demo data), taking that role when no process holds it; asked before
   * every run. Absent on a store one process has to itself (DuckDB): that process always does.
   * PostgreSQL: a session advisory lock, which a process that dies gives up with its connection.
   */
  leadJobs?(): Promise<boolean>;
  close(): Promise<void>;

  createKey(key: { keyHash: string; dashboardId: string; createdAt: number }): Promise<KeyRecord>;
  findKeyByHash(keyHash: string): Promise<KeyRecord | null>;
  findKeyByDashboardId(dashboardId: string): Promise<KeyRecord | null>;
  /** Sets `last_used_at = now` when it is older than `now - minIntervalMs` (avoids a write per request). */
  touchKey(keyId: number, now: number, minIntervalMs: number): Promise<void>;
  /**
   * Stores a batch in one transaction and resolves after commit. `userAgents` carries the parsed
   * form of every distinct user agent in `rows`. Rejects with {@link UnknownKeyError} when the key
   * no longer exists. `batchId` (the SDK's `apilens-batch-id` header) makes a retry idempotent:
   * the store records it in the batch's transaction, and a batch whose id is already stored for
   * the key is not stored again and resolves with its row count as if it were (PostgreSQL for a
   * day; DuckDB for an hour, far beyond an SDK's retries).
   */
  insertRequests(
    keyId: number,
    rows: readonly NewRequestRow[],
    userAgents: ReadonlyMap<string, UserAgentInfo>,
    batchId?: string,
  ): Promise<number>;
  /**
   * Deletes the batch ids recorded before `cutoff` (epoch ms). Stores that record them (see
   * `insertRequests`) have it; resolves with how many were deleted.
   */
  forgetBatchesBefore?(cutoff: number): Promise<number>;
  /** Rows of one key in (created_at, id) order. */
  queryRequests(keyId: number, query: RowQuery): Promise<StoredRow[]>;
  /** Number of rows stored under a key (all keys when omitted). */
  countRequests(keyId?: number): Promise<number>;
  /** Deletes a key and every row stored under it (monitors and their attempts too), in one transaction. */
  deleteKey(keyId: number): Promise<DeleteCounts>;
  /**
   * Deletes every key's requests created before `cutoff` (epoch ms), for the age retention
   * (`maxAgeMonths`); resolves with how many. Not one transaction: a store may delete in chunks.
   * A store without it gets no age retention (logged).
   */
  deleteRequestsBefore?(cutoff: number): Promise<number>;
  /**
   * Removes what the store keeps for the dashboard about the requests created before `cutoff`
   * (PostgreSQL's rollups), after `deleteRequestsBefore`; stores that read rows for the dashboard
   * leave it out.
   */
  deleteRollupsBefore?(cutoff: number): Promise<void>;
  /**
   * Writes the dashboard rollups that ingest left pending (PostgreSQL: every key's, whichever
   * process stored them); resolves with the number of batches written. Safe beside ingest, folds
   * and other drains.
   */
  drainRollups?(): Promise<number>;
  /**
   * Folds the dashboard rollups of finished hours into coarser buckets (PostgreSQL); resolves
   * with the number of keys folded. Run by the process holding the job lock, every few minutes;
   * safe to run in two processes at once (the second finds nothing left to fold).
   */
  foldRollups?(now: number): Promise<number>;
  /**
   * Prepares storage for the month of `at` and the next two (PostgreSQL: their partitions of
   * `requests`); called at start and hourly by the process holding the job lock.
   */
  prepareMonths?(at: number): Promise<void>;
  /** Ids of keys whose `last_used_at` is before `cutoff` (epoch ms). */
  findInactiveKeys(cutoff: number): Promise<number[]>;
  /**
   * Read-only SQL for the dashboard engine, in the store's dialect (its `kind`), with `$1`, `$2`, …
   * parameters; rows as arrays of plain JS values (see {@link SqlReader}). Stores that cannot
   * serve the dashboard leave it out.
   */
  select?(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<unknown[][]>;
  /**
   * A number that changes whenever the key's rows change (ingest, deletion), for caches of
   * computed figures. Only a store that sees every write (one process per database) has it.
   */
  dataVersion?(keyId: number): number;
  /**
   * The key's first and last request times (`null`s without rows), where the store can keep them
   * without a query (one process sees every write); the dashboard engine reads them otherwise.
   */
  keyBounds?(keyId: number): Promise<[number | null, number | null]>;
  /**
   * Writes a consistent copy of the whole database to `file` while the store keeps serving:
   * one snapshot (every write committed before the call, no part of one after). The copy is
   * written under `<file>.tmp` and renamed to `file` once complete. Only a store whose data is
   * a file of this process has it (DuckDB); PostgreSQL has `pg_dump`.
   */
  backup?(file: string): Promise<BackupResult>;
}

/** Options of {@link Store.select}. */
export interface SelectOptions {
  /**
   * Work nobody waits for line by line (a step of a whole export): the store may let the
   * latency-bound work (ingest) go first. PostgreSQL waits up to 50 ms for the batches in flight
   * in this process. @default false
   */
  background?: boolean;
}

/** What {@link Store.backup} wrote. */
export interface BackupResult {
  /** The complete backup file. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** Request rows in it. */
  requests: number;
  /** Time the copy took, in milliseconds. */
  ms: number;
}

/** SQL dialects the dashboard engine writes: one per store. */
export type SqlDialect = StoreKind;

/**
 * Read-only SQL access for the dashboard engine, which writes its queries per dialect. Values
 * are bound to `$1`, `$2`, … and never spliced into the text. Rows come back as arrays of plain
 * JS values: numbers (64-bit integers included, as the engine's values stay below 2^53),
 * strings, `null`, and arrays for SQL arrays/lists.
 */
export interface SqlReader {
  readonly dialect: SqlDialect;
  select(sql: string, params: readonly unknown[]): Promise<unknown[][]>;
  /** See {@link Store.keyBounds}. */
  keyBounds?(keyId: number): Promise<[number | null, number | null]>;
}

/** Thrown by {@link Store.insertRequests} when the key was deleted meanwhile. */
export class UnknownKeyError extends Error {
  constructor() {
    super('@apilens/server: the API key does not exist (it may have just been deleted)');
    this.name = 'UnknownKeyError';
  }
}
