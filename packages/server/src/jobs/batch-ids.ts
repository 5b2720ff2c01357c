import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import { leadsJobs } from './lead.js';

/** How long a batch id is remembered: far beyond the SDK's retries (minutes), well within a day. */
export const BATCH_ID_TTL_MS = 24 * 60 * 60 * 1000;

/** Options of the batch id job. */
export interface BatchIdJobOptions {
  /** How often ids older than {@link BATCH_ID_TTL_MS} are deleted. */
  intervalMs: number;
}

/**
 * Deletes the ingest batch ids (`Store.forgetBatchesBefore`, PostgreSQL) older than a day, every
 * `intervalMs`, in the one process holding the job lock. Nothing to do for stores without them.
 */
const batchIdJob: FastifyPluginAsync<BatchIdJobOptions> = async (app, o) => {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    if (!app.apilens.store.forgetBatchesBefore) return;
    timer = setInterval(async () => {
      const store = app.apilens.store;
      if (!(await leadsJobs(store, app.log, 'forgetting old batch ids'))) return;
      // The real clock, not the server's injected one: ids are stamped by the database's clock.
      await store.forgetBatchesBefore!(Date.now() - BATCH_ID_TTL_MS).then(
        (n) => app.log.debug({ deleted: n }, 'ingest: forgot batch ids older than a day'),
        (err) => app.log.error({ err }, 'ingest: could not delete old batch ids'),
      );
    }, o.intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });
};

export default definePlugin(batchIdJob, { name: 'apilens-batch-ids', uses: ['apilens'] });
