import type { FastifyPluginAsync } from 'fastify';
import { MONITOR_DEFAULTS, type ResolvedMonitorOptions } from '../monitor/options.js';
import { noStats, Pinger, type PingerStats } from '../monitor/pinger.js';
import { monitorStoreOf } from '../monitor/store-types.js';
import { definePlugin } from '../plugins/define.js';
import { leadsJobs } from './lead.js';

/** What the monitoring job decorates the server with, as `app.apilensMonitoring`. */
export interface MonitoringDecoration {
  /** Counters of this process's pinger; all zero when it does not run (`monitoring: false`). */
  stats(): PingerStats;
  /** Resolves when no attempt and no alert delivery is in flight (tests). */
  idle(): Promise<void>;
  /** Deletes attempts older than 60 days now (it also runs daily); resolves with how many. */
  pruneAttempts(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilensMonitoring: MonitoringDecoration;
  }
}

/** Options of the monitoring job. */
export interface MonitoringJobOptions {
  monitor: ResolvedMonitorOptions;
  now: () => number;
  /** How often old attempts are deleted. */
  pruneIntervalMs: number;
}

const DAY = 86_400_000;

/**
 * Runs the pinger (`monitor/pinger.ts`) once the server is ready, and the daily deletion of
 * attempts older than 60 days. On close, the pinger stops claiming and lets the attempts in
 * flight be stored before the store closes (a `preClose` hook: it runs before the store's
 * `onClose`).
 */
const monitoringJob: FastifyPluginAsync<MonitoringJobOptions> = async (app, o) => {
  let pinger: Pinger | undefined;
  let timer: NodeJS.Timeout | undefined;

  const prune = async () =>
    (await monitorStoreOf(app.apilens.store)?.deleteAttemptsBefore(
      o.now() - MONITOR_DEFAULTS.retentionDays * DAY,
    )) ?? 0;
  // Pinging needs no lock (claims are atomic); the daily deletion runs in one process.
  const pruneLogged = async () => {
    if (!(await leadsJobs(app.apilens.store, app.log, 'monitoring: deleting old attempts'))) return;
    await prune().then(
      (n) => {
        if (n > 0) app.log.info({ deleted: n }, 'monitoring: deleted attempts older than 60 days');
      },
      (err) => app.log.error({ err }, 'monitoring: could not delete old attempts'),
    );
  };

  app.decorate('apilensMonitoring', {
    stats: () => pinger?.stats() ?? noStats(),
    idle: async () => pinger?.idle(),
    pruneAttempts: prune,
  } satisfies MonitoringDecoration);

  app.addHook('onReady', async () => {
    const m = o.monitor;
    const store = monitorStoreOf(app.apilens.store);
    if (!store) {
      app.log.info(
        `monitoring: off, ${app.apilens.store.description} has no monitoring (use DuckDB or PostgreSQL)`,
      );
      return;
    }
    if (m.monitoring) {
      pinger = new Pinger(store, {
        concurrency: m.concurrency,
        timeoutMs: m.timeoutMs,
        tickMs: m.tickMs,
        allowPrivate: m.allowPrivate,
        resolve: m.resolve,
        webhookRetries: m.webhookRetries,
        webhookBackoffMs: m.webhookBackoffMs,
        log: app.log,
        now: o.now,
      });
      pinger.start();
    }
    void pruneLogged();
    timer = setInterval(() => void pruneLogged(), o.pruneIntervalMs);
    timer.unref();
  });

  app.addHook('preClose', async () => {
    if (timer) clearInterval(timer);
    // Attempts in flight get to finish and be stored, within Fastify's 10 s limit for close
    // hooks (a longer wait would fail the close); one still hanging after 8 s is dropped.
    await pinger?.stop(Math.min(o.monitor.timeoutMs + 2000, 8000));
  });
};

export default definePlugin(monitoringJob, { name: 'apilens-monitoring', uses: ['apilens'], shared: true });
