import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import { leadsJobs } from './lead.js';
import type { DeleteCounts, Store } from '../types.js';

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

/** Options of the retention job. */
export interface RetentionJobOptions {
  /** `0` turns the job off. */
  retentionMonths: number;
  intervalMs: number;
}

/**
 * The background job that runs {@link runRetention} every `intervalMs` once the server is ready
 * (`app.apilens.runRetention`), on an unref'd timer stopped on close. A failed run is logged.
 * With several collector processes on one database, only the one holding the job lock runs it
 * (`leadsJobs`): the others' timers find it taken and do nothing.
 */
const retentionJob: FastifyPluginAsync<RetentionJobOptions> = async (app, o) => {
  if (o.retentionMonths <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(async () => {
      if (!(await leadsJobs(app.apilens.store, app.log, 'retention'))) return;
      await app.apilens.runRetention().then(
        (d) => {
          if (d.keys > 0) app.log.info({ deleted: d }, 'retention: deleted unused keys and their data');
          else app.log.debug({ deleted: d }, 'retention: ran, nothing to delete');
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
