import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import type { DeleteCounts, Store } from '../types.js';
import { leadsJobs } from './lead.js';

/** `now` minus whole calendar months (UTC). */
export function monthsBefore(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/**
 * Deletes keys (with all their rows) that had neither an ingest nor a read for `months`.
 * Each key is deleted in its own transaction, so a large cleanup never holds one long lock.
 */
export async function runRetention(store: Store, now: number, months: number): Promise<DeleteCounts> {
  const total: DeleteCounts = { keys: 0, requests: 0 };
  if (months <= 0) return total;
  for (const id of await store.findInactiveKeys(monthsBefore(now, months))) {
    const d = await store.deleteKey(id);
    total.keys += d.keys;
    total.requests += d.requests;
  }
  return total;
}

/** What a retention run deleted: unused keys with their data, and requests past the age limit. */
export interface RetentionCounts extends DeleteCounts {
  /** Requests older than `maxAgeMonths` (of keys still in use). */
  oldRequests: number;
}

/**
 * Deletes every request older than `months` calendar months (`--max-age-months`), in every key:
 * `Store.deleteRequestsBefore`, then what the dashboard keeps about those rows
 * ({@link deleteRollupsBefore}). Resolves with the number of requests deleted.
 */
export async function runAgeRetention(store: Store, now: number, months: number): Promise<number> {
  if (months <= 0 || !store.deleteRequestsBefore) return 0;
  const cutoff = monthsBefore(now, months);
  const n = await store.deleteRequestsBefore(cutoff);
  await deleteRollupsBefore(store, cutoff);
  return n;
}

/**
 * The one call site for deleting the dashboard's rollups with the rows they summarise
 * (`Store.deleteRollupsBefore`: PostgreSQL's rollups, including those of the months whose
 * partitions were dropped). Called by {@link runAgeRetention} after the rows are gone. Key
 * deletion removes a key's rollups in the store's own `deleteKey`.
 */
export async function deleteRollupsBefore(store: Store, cutoff: number): Promise<void> {
  await store.deleteRollupsBefore?.(cutoff);
}

/** Both retentions, as the job runs them: unused keys, then requests past the age limit. */
export async function runAllRetention(
  store: Store,
  now: number,
  o: { retentionMonths: number; maxAgeMonths: number },
): Promise<RetentionCounts> {
  const keys = await runRetention(store, now, o.retentionMonths);
  return { ...keys, oldRequests: await runAgeRetention(store, now, o.maxAgeMonths) };
}

/** Options of the retention job. */
export interface RetentionJobOptions {
  /** `0` turns the deletion of unused keys off. */
  retentionMonths: number;
  /** `0` turns the deletion of old requests off. The job runs when either is on. */
  maxAgeMonths: number;
  intervalMs: number;
}

/**
 * The background job that runs {@link runAllRetention} every `intervalMs` once the server is ready
 * (`app.apilens.runRetention`), on an unref'd timer stopped on close. A failed run is logged.
 * With several collector processes on one database, only the one holding the job lock runs it
 * (`leadsJobs`): the others' timers find it taken and do nothing.
 */
const retentionJob: FastifyPluginAsync<RetentionJobOptions> = async (app, o) => {
  if (o.retentionMonths <= 0 && o.maxAgeMonths <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(async () => {
      if (!(await leadsJobs(app.apilens.store, app.log, 'retention'))) return;
      if (o.maxAgeMonths > 0 && !app.apilens.store.deleteRequestsBefore) {
        app.log.warn(
          `retention: ${app.apilens.store.description} cannot delete old requests (--max-age-months)`,
        );
      }
      await app.apilens.runRetention().then(
        (d) => {
          if (d.keys > 0) app.log.info({ deleted: d }, 'retention: deleted unused keys and their data');
          if (d.oldRequests > 0) {
            app.log.info(
              { deleted: d.oldRequests },
              `retention: deleted requests older than ${o.maxAgeMonths} months`,
            );
          }
          if (d.keys === 0 && d.oldRequests === 0)
            app.log.debug({ deleted: d }, 'retention: ran, nothing to delete');
        },
        (err) => app.log.error({ err }, 'retention job failed'),
      );
    }, o.intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });
};

export default definePlugin(retentionJob, { name: 'apilens-retention', uses: ['apilens'] });
