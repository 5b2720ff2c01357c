// The demo dashboard (`/dashboard/demo`): a key whose dashboard id is `demo`, filled by the
// collector itself with two weeks of synthetic traffic and topped up every minute, so anyone can
// look at a live dashboard without setting anything up. It is re-created from scratch at start
// and once a day, which keeps it at about two weeks of rows.
import { randomBytes } from 'node:crypto';
import type { UserAgentCache } from '../ingest/user-agent.js';
import { hashApiKey } from '../keys.js';
import type { NewRequestRow, Store, UserAgentInfo } from '../types.js';
import { syntheticTraffic } from './traffic.js';

/** The dashboard id of the demo dashboard. */
export const DEMO_DASHBOARD_ID = 'demo';

const DAY = 86_400_000;
const BATCH = 5_000;

/** Settings of the demo data. */
export interface DemoSettings {
  /** Days of history written at start. @default 14 */
  days: number;
  /** Average requests per hour. @default 600 */
  perHour: number;
  /** How often new requests are added. @default 60 s */
  topUpMs: number;
}

// Two weeks, so the 7-day view has a whole previous week to compare with.
export const DEMO_DEFAULTS: DemoSettings = { days: 14, perHour: 600, topUpMs: 60_000 };

async function write(
  store: Store,
  userAgents: UserAgentCache,
  keyId: number,
  from: number,
  to: number,
  perHour: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  let rows: NewRequestRow[] = [];
  let agents = new Map<string, UserAgentInfo>();
  let written = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    written += await store.insertRequests(keyId, rows, agents);
    rows = [];
    agents = new Map();
  };
  for (const r of syntheticTraffic({ from, to, perHour })) {
    if (!agents.has(r.user_agent)) agents.set(r.user_agent, userAgents.get(r.user_agent));
    rows.push({
      hostname: r.hostname,
      ipAddress: r.ip_address,
      path: r.path,
      route: r.route,
      userAgent: r.user_agent,
      method: r.method,
      status: r.status,
      responseTime: r.response_time,
      location: r.country,
      userId: r.user_id,
      framework: 'Express',
      createdAt: r.created_at,
    });
    if (rows.length >= BATCH) {
      await flush();
      // Stopped (the collector is closing): the rest is written on the next start.
      if (signal?.aborted) return written;
    }
  }
  await flush();
  return written;
}

/** The running demo: its data is complete up to `until`. */
export interface Demo {
  readonly keyId: number;
  readonly until: number;
  /** Adds the requests since the last write, up to `now`. */
  topUp(now: number): Promise<number>;
}

/**
 * Replaces the demo key (if any) with a fresh one holding `days` of synthetic traffic up to
 * `now`. The key's own API key is random and never shown: nobody can write to or delete it.
 * `signal` stops a write between batches: two weeks are some 40 batches, several seconds on a
 * busy machine, which a closing collector must not wait for.
 */
export async function seedDemo(
  store: Store,
  userAgents: UserAgentCache,
  now: number,
  settings: DemoSettings = DEMO_DEFAULTS,
  signal?: AbortSignal,
): Promise<Demo & { rows: number }> {
  const old = await store.findKeyByDashboardId(DEMO_DASHBOARD_ID);
  if (old) await store.deleteKey(old.id);
  const key = await store.createKey({
    keyHash: hashApiKey(`apilens-demo-${randomBytes(24).toString('hex')}`),
    dashboardId: DEMO_DASHBOARD_ID,
    createdAt: now,
  });
  const rows = await write(
    store,
    userAgents,
    key.id,
    now - settings.days * DAY,
    now,
    settings.perHour,
    signal,
  );
  let until = now;
  return {
    keyId: key.id,
    rows,
    get until() {
      return until;
    },
    async topUp(at: number) {
      if (at <= until) return 0;
      const n = await write(store, userAgents, key.id, until, at, settings.perHour, signal);
      until = at;
      return n;
    },
  };
}
