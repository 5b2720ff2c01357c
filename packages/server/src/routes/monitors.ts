import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { parseAlertInput, parseMonitorInput } from '../monitor/input.js';
import type { ResolvedMonitorOptions } from '../monitor/options.js';
import { firstDueAt } from '../monitor/pinger.js';
import { buildReport, monitorInfo, reportStart } from '../monitor/report.js';
import { monitorStoreOf } from '../monitor/store-types.js';
import type { MonitoringPeriod } from '../monitor/types.js';
import { BASE_SLOT_MS, PERIOD_NAMES } from '../monitor/uptime.js';
import { definePlugin } from '../plugins/define.js';

/** Options of the monitoring routes. */
export interface MonitorRoutesOptions {
  monitor: ResolvedMonitorOptions;
  now: () => number;
}

/** Monitor ids: 12 random URL-safe characters, not guessable from one another. */
const newMonitorId = () => randomBytes(9).toString('base64url');

/**
 * `POST/GET /api/monitors`, `DELETE /api/monitors/<id>`, `PUT/GET /api/alerts` (all with the API
 * key) and `GET /api/monitoring/<dashboard_id>` (the read-only page data).
 */
const monitorRoutes: FastifyPluginAsync<MonitorRoutesOptions> = async (app, o) => {
  const auth = app.apilensAuth;
  const m = o.monitor;
  // Managing monitors counts in the key's `keys` bucket (with key management, not ingest).
  const keyOf = (request: Parameters<typeof auth.apiKey>[0]) =>
    auth.authenticate(request, auth.apiKey(request, 'header'), 'keys');
  const monitorStore = () => {
    const store = monitorStoreOf(app.apilens.store);
    if (!store) {
      throw new HttpError(
        501,
        `this collector stores in ${app.apilens.store.description}, which has no monitoring; run it on DuckDB (--db <file>.duckdb) or PostgreSQL (--database-url)`,
      );
    }
    return store;
  };

  app.post('/api/monitors', {
    handler: async (request, reply) => {
      const key = await keyOf(request);
      const input = parseMonitorInput(request.body, m);
      const now = o.now();
      const created = await monitorStore().createMonitor(
        {
          id: newMonitorId(),
          keyId: key.id,
          ...input,
          createdAt: now,
          nextDueAt: firstDueAt(now, input.intervalSeconds * 1000),
        },
        m.maxMonitors,
      );
      if ('refused' in created) {
        if (created.refused === 'limit') {
          throw new HttpError(
            409,
            `this key has ${created.count} monitors, the most this collector allows (--max-monitors ${m.maxMonitors}); remove one first`,
          );
        }
        throw new HttpError(
          409,
          `this key already monitors ${input.method} ${input.url} (monitor ${created.existing.id})`,
        );
      }
      return reply.code(201).send(monitorInfo(created));
    },
  });

  app.get('/api/monitors', {
    handler: async (request) => {
      const key = await keyOf(request);
      const monitors = await monitorStore().listMonitors(key.id);
      return { monitors: monitors.map(monitorInfo), limit: m.maxMonitors };
    },
  });

  app.delete<{ Params: { id: string } }>('/api/monitors/:id', {
    handler: async (request) => {
      const key = await keyOf(request);
      const deleted = await monitorStore().deleteMonitor(key.id, request.params.id);
      if (deleted.monitors === 0) {
        throw new HttpError(
          404,
          `this key has no monitor "${request.params.id.slice(0, 50)}"; GET /api/monitors lists them`,
        );
      }
      return { deleted };
    },
  });

  app.put('/api/alerts', {
    handler: async (request) => {
      const key = await keyOf(request);
      const settings = parseAlertInput(request.body, m);
      await monitorStore().putAlertSettings(key.id, settings);
      return settings;
    },
  });

  app.get('/api/alerts', {
    handler: async (request) => monitorStore().getAlertSettings((await keyOf(request)).id),
  });

  app.get<{ Params: { id: string }; Querystring: { period?: string } }>('/api/monitoring/:id', {
    handler: async (request) => {
      const period = (request.query.period ?? '24h') as MonitoringPeriod;
      if (!PERIOD_NAMES.includes(period)) {
        throw new HttpError(
          400,
          `"period" must be one of ${PERIOD_NAMES.join(', ')}, got ${JSON.stringify(String(period).slice(0, 50))}`,
        );
      }
      // A dashboard id is a credential: unknown ones count against the address, like unknown keys.
      auth.checkAddress(request);
      const key = await app.apilens.store.findKeyByDashboardId(request.params.id);
      if (!key) {
        auth.failed(request);
        throw new HttpError(
          404,
          'no dashboard with this id; check the link, or get it with GET /api/dashboard-id',
        );
      }
      auth.admit(key, 'dashboard');
      await auth.touch(key.id);
      const now = o.now();
      const [monitors, slots] = await Promise.all([
        monitorStore().listMonitors(key.id),
        monitorStore().monitorSlots(key.id, reportStart(now), now + 1, BASE_SLOT_MS),
      ]);
      return buildReport(period, now, monitors, slots, m.timeoutMs);
    },
  });
};

export default definePlugin(monitorRoutes, { name: 'apilens-monitors', uses: ['apilens', 'apilensAuth'] });
