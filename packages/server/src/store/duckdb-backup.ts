import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { BackupResult } from '../types.js';

/** Name the backup file is attached under, on the backup's own connection. */
const ALIAS = 'apilens_backup';

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const identifier = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** Flushes a file or directory to disk, so that a rename survives a power cut. */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Copies the database of `instance` into a new DuckDB file while the store keeps writing, from a
 * connection of its own: `COPY FROM DATABASE` into the attached file inside one transaction, so
 * the copy is one snapshot (DuckDB's MVCC: every batch committed before it whole, none after),
 * and ingest on the writer connection goes on meanwhile. DETACH checkpoints the copy into one
 * file with no WAL. The copy is written as `<file>.tmp` and renamed once complete, so a file
 * with the final name is always a whole backup; on failure the temporary file is removed.
 * `connected` is handed the backup's connection, so that closing the store can interrupt it.
 */
export async function backupDuckDb(
  instance: DuckDBInstance,
  target: string,
  connected: (connection: DuckDBConnection) => void,
): Promise<BackupResult> {
  const started = Date.now();
  const file = resolve(target);
  const tmp = `${file}.tmp`;
  const removeTmp = async () => {
    await rm(tmp, { force: true });
    await rm(`${tmp}.wal`, { force: true });
  };
  if (await stat(file).catch(() => undefined)) {
    throw new Error(`@apilens/server: the backup file ${file} exists already; give a new name`);
  }
  // A temporary file left by a backup cut short (process killed) is never a whole backup.
  await removeTmp();
  const connection = await instance.connect();
  connected(connection);
  let attached = false;
  const work = (async () => {
    const db = (await connection.runAndReadAll('SELECT current_database()')).getRows()[0]![0] as string;
    await connection.run(`ATTACH ${literal(tmp)} AS ${ALIAS}`);
    attached = true;
    await connection.run('BEGIN TRANSACTION');
    await connection.run(`COPY FROM DATABASE ${identifier(db)} TO ${ALIAS}`);
    const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${ALIAS}.requests`);
    const requests = reader.getRows()[0]![0] as number;
    await connection.run('COMMIT');
    // Checkpoints the copy into its file and closes it: nothing of it is left in a WAL.
    await connection.run(`DETACH ${ALIAS}`);
    attached = false;
    return requests;
  })();
  try {
    const requests = await work;
    await fsyncPath(tmp);
    await rename(tmp, file);
    await fsyncPath(dirname(file));
    const { size } = await stat(file);
    return { file, bytes: size, requests, ms: Date.now() - started };
  } catch (err) {
    await connection.run('ROLLBACK').catch(() => {});
    if (attached) await connection.run(`DETACH ${ALIAS}`).catch(() => {});
    await removeTmp().catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`@apilens/server: the backup to ${file} failed: ${message.split('\n')[0]}`, {
      cause: err,
    });
  } finally {
    connection.closeSync();
  }
}
