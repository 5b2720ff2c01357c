import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '../types.js';

/**
 * Whether this process should run a job that must run once per database now: always with a
 * store one process has to itself, else when it holds the store's job lock ({@link Store.leadJobs}).
 * A store that cannot answer (database down) means no: the job is skipped this time, and logged.
 */
export async function leadsJobs(store: Store, log: FastifyBaseLogger, job: string): Promise<boolean> {
  if (!store.leadJobs) return true;
  try {
    return await store.leadJobs();
  } catch (err) {
    log.warn({ err }, `${job}: skipped, could not tell whether another collector process runs it`);
    return false;
  }
}
