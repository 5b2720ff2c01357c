import type { FastifyPluginAsync } from 'fastify';
import { DEMO_DEFAULTS, type Demo, seedDemo } from '../demo/seed.js';
import { UserAgentCache } from '../ingest/user-agent.js';
import { definePlugin } from '../plugins/define.js';
import { leadsJobs } from './lead.js';

/** Options of the demo job. */
export interface DemoJobOptions {
  /** `false`: no demo data (the decoration still answers). */
  enabled: boolean;
  now: () => number;
}

/** What the demo job decorates the Fastify instance with, as `app.apilensDemo`. */
export interface DemoDecoration {
  /**
   * Resolves once the demo dashboard's first data is written (at once when the demo is off, or
   * when another collector process on the same database writes it).
   */
  ready(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilensDemo: DemoDecoration;
  }
}

/**
 * The demo dashboard's data (`/dashboard/demo`, see demo/seed.ts): written in the background once
 * the server is ready, so the collector listens at once; topped up every minute, one write at a
 * time, and renewed daily. Stopped before the store closes. With several collector processes on
 * one database, the one holding the job lock writes it (`leadsJobs`); the others ask again every
 * minute, and the one that takes over after a process died renews the demo from scratch.
 */
const demoJob: FastifyPluginAsync<DemoJobOptions> = async (app, o) => {
  let seeded: Promise<void> = Promise.resolve();
  let work: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  app.decorate('apilensDemo', { ready: () => seeded } satisfies DemoDecoration);
  if (!o.enabled) return;

  const agents = new UserAgentCache(100);
  let demo: Demo | undefined;
  let seededAt = 0;
  const closing = new AbortController();
  const reseed = async () => {
    const fresh = await seedDemo(app.apilens.store, agents, o.now(), DEMO_DEFAULTS, closing.signal);
    demo = fresh;
    seededAt = o.now();
    app.log.info(
      { rows: fresh.rows },
      'demo dashboard: wrote two weeks of synthetic requests (/dashboard/demo)',
    );
  };

  const leads = async () => {
    if (await leadsJobs(app.apilens.store, app.log, 'demo dashboard')) return true;
    demo = undefined;
    return false;
  };

  app.addHook('onReady', async () => {
    seeded = (async () => {
      if (await leads()) await reseed();
    })().catch((err) => app.log.error({ err }, 'demo dashboard: could not write its data'));
    work = seeded;
    timer = setInterval(() => {
      work = work.then(async () => {
        if (!(await leads())) return;
        const now = o.now();
        const step = !demo || now - seededAt >= 86_400_000 ? reseed() : demo.topUp(now);
        return step.catch((err) => app.log.warn({ err }, 'demo dashboard: could not add requests'));
      });
    }, DEMO_DEFAULTS.topUpMs);
    timer.unref();
  });
  // Before the store closes: no write may start or be cut off by it, and one running stops after
  // its current batch (the first seed can take longer than Fastify waits for a hook).
  app.addHook('preClose', async () => {
    if (timer) clearInterval(timer);
    closing.abort();
    await work;
  });
};

// Shared: `app.apilensDemo` is visible on the server (scripts and tests wait on it).
export default definePlugin(demoJob, { name: 'apilens-demo', uses: ['apilens'], shared: true });
