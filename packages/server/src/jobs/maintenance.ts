import type { FastifyPluginAsync } from 'fastify';
import { definePlugin } from '../plugins/define.js';
import { leadsJobs } from './lead.js';

/** How long a batch id is remembered: far beyond the SDK's retries (minutes), well within a day. */
export const BATCH_ID_TTL_MS = 24 * 60 * 60 * 1000;

/** Options of the store maintenance job. */
export interface MaintenanceJobOptions {
  /** How often it runs (it also runs once the server is ready). */
  intervalMs: number;
}

/**
 * The store's housekeeping, at start and every `intervalMs`, in the one process holding the job
 * lock: the storage of the coming months (`Store.prepareMonths`: PostgreSQL's partitions), the
 * deletion of ingest batch ids older than a day (`Store.forgetBatchesBefore`) and the fold of the
 * dashboard rollups of finished hours into coarser buckets (`Store.foldRollups`: ingest writes
 * PostgreSQL's hour buckets only). Stores without any have nothing to do. The real clock, not the
 * server's injected one: rows arrive stamped by their apps' clocks and batch ids by the database's.
 */
const maintenanceJob: FastifyPluginAsync<MaintenanceJobOptions> = async (app, o) => {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    const store = app.apilens.store;
    if (!store.prepareMonths && !store.forgetBatchesBefore && !store.foldRollups && !store.drainRollups)
      return;
    if (!(await leadsJobs(store, app.log, 'store maintenance'))) return;
    await store
      .prepareMonths?.(Date.now())
      .catch((err) => app.log.error({ err }, 'store maintenance: could not prepare the coming months'));
    await store.forgetBatchesBefore?.(Date.now() - BATCH_ID_TTL_MS).then(
      (n) => app.log.debug({ deleted: n }, 'store maintenance: forgot batch ids older than a day'),
      (err) => app.log.error({ err }, 'store maintenance: could not delete old batch ids'),
    );
    // Pending rollups a process left behind (it died before its drains ran).
    await store.drainRollups?.().then(
      (n) => app.log.debug({ batches: n }, 'store maintenance: wrote pending dashboard rollups'),
      (err) => app.log.error({ err }, 'store maintenance: could not write pending dashboard rollups'),
    );
    await store.foldRollups?.(Date.now()).then(
      (n) => app.log.debug({ keys: n }, 'store maintenance: folded the rollups of finished hours'),
      (err) => app.log.error({ err }, 'store maintenance: could not fold the dashboard rollups'),
    );
  };
  app.addHook('onReady', async () => {
    running = run();
    timer = setInterval(() => {
      running = running.then(run);
    }, o.intervalMs);
    timer.unref();
  });
  // Before the store closes: a run in progress finishes first.
  app.addHook('preClose', async () => {
    if (timer) clearInterval(timer);
    await running;
  });
};

export default definePlugin(maintenanceJob, { name: 'apilens-maintenance', uses: ['apilens'] });
