import { access, constants, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import type { BackupResult, Store } from '../types.js';

/** `2026-11-27T235959.123Z`: UTC, sorts in time order, no colon (not allowed on every filesystem). */
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z$/;
const stamp = (ms: number) => new Date(ms).toISOString().replaceAll(':', '');

/** Where backups of a database go, and how many are kept. */
export interface BackupPlan {
  /** Folder of the backups (one per collector: old backups in it are pruned). */
  dir: string;
  /** Complete backups kept; older ones are deleted after each new one. */
  keep: number;
  /** Name of the database file; backups are called `<its name>-<UTC time>.duckdb`. */
  db: string;
}

/** What {@link runBackup} did. */
export interface BackupRun extends BackupResult {
  /** Old backups deleted to keep `keep`. */
  pruned: string[];
}

/** Files of `plan.dir` named `<db name>-<UTC time><suffix>`, in time order. */
async function named(plan: BackupPlan, suffix: string): Promise<string[]> {
  const prefix = `${basename(plan.db, extname(plan.db))}-`;
  return (await readdir(plan.dir))
    .filter(
      (name) =>
        name.startsWith(prefix) &&
        name.endsWith(suffix) &&
        STAMP.test(name.slice(prefix.length, -suffix.length)),
    )
    .sort();
}

/** The backups of `plan` in `dir`, oldest first: complete files only (a `.tmp` never counts). */
export function listBackups(plan: BackupPlan): Promise<string[]> {
  return named(plan, '.duckdb');
}

/**
 * Writes a backup of the running store into `plan.dir` as `<db name>-<UTC time>.duckdb` (see
 * {@link Store.backup}: one consistent snapshot, under a temporary name until complete), then
 * deletes the oldest backups beyond `plan.keep`. Nothing is pruned when the backup fails.
 * Temporary files of earlier backups cut short (the process killed) are deleted first: this
 * process is the only one backing this database up, one backup at a time.
 */
export async function runBackup(store: Store, plan: BackupPlan, now: number): Promise<BackupRun> {
  if (!store.backup) throw new Error(`@apilens/server: the ${store.kind} store cannot back itself up`);
  for (const suffix of ['.duckdb.tmp', '.duckdb.tmp.wal']) {
    for (const stale of await named(plan, suffix)) await rm(join(plan.dir, stale), { force: true });
  }
  const name = `${basename(plan.db, extname(plan.db))}-${stamp(now)}.duckdb`;
  const result = await store.backup(join(plan.dir, name));
  const all = await listBackups(plan);
  const pruned = all.slice(0, Math.max(0, all.length - plan.keep));
  for (const old of pruned) await rm(join(plan.dir, old), { force: true });
  return { ...result, pruned };
}

/** Options of the backup job; `dir` undefined turns it off. */
export interface BackupJobOptions {
  dir: string | undefined;
  /** Between scheduled backups; `0`: only on request (`SIGUSR2` with the CLI). */
  intervalMs: number;
  keep: number;
  db: string;
  now: () => number;
}

/** What the backup job decorates the Fastify instance with, as `app.apilensBackup`. */
export interface BackupDecoration {
  /** Whether backups are configured (`backupDir`). */
  readonly enabled: boolean;
  /**
   * Takes a backup now (the CLI calls it on `SIGUSR2`) and logs the outcome, `reason` in the log
   * line. Resolves with what was written, or `undefined` when it failed (logged, never thrown: a
   * failed backup leaves the collector as it was), backups are off, or one is running already
   * (which is then the one the caller gets).
   */
  run(reason: string): Promise<BackupRun | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilensBackup: BackupDecoration;
  }
}

/**
 * Backups of the DuckDB file while the collector runs: at start-up the folder is created and
 * checked (a wrong `backupDir` stops the start, naming it); then a backup every `intervalMs` on
 * an unref'd timer, and whenever `app.apilensBackup.run()` is called. One at a time. Before the
 * store closes the timer stops; a backup still running is cut short by the store's close.
 */
const backupJob: FastifyPluginAsync<BackupJobOptions> = async (app, o) => {
  const dir = o.dir === undefined ? undefined : resolve(o.dir);
  let running: Promise<BackupRun | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const run = (reason: string): Promise<BackupRun | undefined> => {
    if (dir === undefined) {
      app.log.warn(`backup (${reason}): no backup directory configured (--backup-dir); nothing done`);
      return Promise.resolve(undefined);
    }
    if (running) {
      app.log.info(`backup (${reason}): one is running already; not starting another`);
      return running;
    }
    app.log.info(`backup (${reason}): started`);
    running = runBackup(app.apilens.store, { dir, keep: o.keep, db: o.db }, o.now())
      .then(
        (done) => {
          const { file, bytes, requests, ms, pruned } = done;
          app.log.info({ file, bytes, requests, ms, pruned }, `backup (${reason}): written`);
          return done;
        },
        (err) => {
          app.log.error({ err }, `backup (${reason}) failed; the collector goes on without it`);
          return undefined;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  app.decorate('apilensBackup', { enabled: dir !== undefined, run } satisfies BackupDecoration);
  if (dir === undefined) return;

  app.addHook('onReady', async () => {
    if (!app.apilens.store.backup) {
      throw new Error(
        `@apilens/server: backupDir is set, but the ${app.apilens.store.kind} store cannot back itself up while running; ` +
          'back PostgreSQL up with pg_dump (docs/self-hosting.md) and remove backupDir (--backup-dir, APILENS_BACKUP_DIR)',
      );
    }
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (err) {
      throw new Error(
        `@apilens/server: the backup directory ${dir} (backupDir, --backup-dir) cannot be created or written: ${(err as Error).message}. ` +
          'Give a folder the collector may write to.',
        { cause: err },
      );
    }
    if (o.intervalMs > 0) {
      timer = setInterval(() => void run('scheduled'), o.intervalMs);
      timer.unref();
    }
  });
  app.addHook('preClose', async () => {
    if (timer) clearInterval(timer);
  });
};

// Shared: `app.apilensBackup` is visible on the server (the CLI's SIGUSR2 handler calls it).
export default definePlugin(backupJob, { name: 'apilens-backup', uses: ['apilens'], shared: true });
