import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { installBodyParsing } from './body.js';
import { capConnectionsPerAddress } from './connections.js';
import { clientErrorHandler, installErrorHandlers } from './errors.js';
import backupJob from './jobs/backup.js';
import demoJob from './jobs/demo.js';
import maintenanceJob from './jobs/maintenance.js';
import monitoringJob from './jobs/monitoring.js';
import retentionJob from './jobs/retention.js';
import { resolveOptions, type ServerOptions } from './options.js';
import authPlugin from './plugins/auth.js';
import securityHeaders from './plugins/security-headers.js';
import shutdownPlugin from './plugins/shutdown.js';
import storePlugin from './plugins/store.js';
import dashboardRoutes from './routes/dashboard.js';
import dataRoutes from './routes/data/index.js';
import { ExportSlots } from './routes/data/stream.js';
import healthRoutes from './routes/health.js';
import ingestRoutes from './routes/ingest.js';
import keysRoutes from './routes/keys.js';
import monitorRoutes from './routes/monitors.js';
import pagesRoutes from './routes/pages.js';
import { bundledDashboardDir } from './web-assets.js';

export type { BackupDecoration, BackupRun } from './jobs/backup.js';
export type { DemoDecoration } from './jobs/demo.js';
export type { ApilensDecoration } from './plugins/store.js';

/**
 * Builds the collector as a Fastify instance: ingest, data API, dashboard API, keys, deletion,
 * monitoring and health routes, the dashboard web app's pages, and the background jobs (retention,
 * the uptime pinger). The store (and GeoIP database) are opened on `ready()`/`listen()` and closed on
 * `close()`, which first lets in-flight batches finish. More routes can be registered on the
 * returned instance before it is started.
 *
 * @example
 * const app = buildServer({ db: './apilens.duckdb' });
 * await app.listen({ port: 8787, host: '127.0.0.1' });
 */
export function buildServer(options: ServerOptions = {}): FastifyInstance {
  const o = resolveOptions(options);
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout =
    o.requestTimeoutMs > 0 ? Math.min(o.headersTimeoutMs, o.requestTimeoutMs) : o.headersTimeoutMs;
  const app = Fastify({
    logger: o.logger,
    // request.ip (the per-address limit of POST /api/generate) from X-Forwarded-For only when
    // the connection comes from a proxy the operator named.
    trustProxy: o.trustProxy,
    bodyLimit: o.maxBodyBytes,
    // A whole request (headers and body) must arrive in time, or the client gets a 408 and its
    // socket is closed; Node checks pending requests every connectionsCheckingInterval (30 s by
    // default, which would let a stalled request live twice as long as its timeout).
    requestTimeout: o.requestTimeoutMs,
    http: {
      headersTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    // One log line per request would dominate at ingest rates; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Closing is handled by the shutdown plugin, with a JSON 503 and Connection: close.
    return503OnClosing: false,
    // Types are checked as sent: "200" is not a status, and a lone object is not a list of requests.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // Requests the HTTP parser rejects get the same JSON error shape as the rest.
    clientErrorHandler,
  });

  // Settings of the root instance, made here rather than in plugins, so that a caller can
  // still replace them on the returned instance.
  installErrorHandlers(app, o.maxBodyBytes);
  installBodyParsing(app, o.maxBodyBytes);
  capConnectionsPerAddress(app.server, o.maxConnectionsPerAddress, app.log);

  // Shared plugins first (their decorators and hooks reach every route), then routes and jobs,
  // each encapsulated; see "Internals" in the README.
  app.register(securityHeaders);
  app.register(shutdownPlugin, { timeoutMs: o.shutdownTimeoutMs });
  app.register(storePlugin, {
    store: o.store,
    db: o.db,
    databaseUrl: o.databaseUrl,
    retentionMonths: o.retentionMonths,
    maxAgeMonths: o.maxAgeMonths,
    now: o.now,
  });
  // Only POST /api/generate (per address and hour); API keys are limited by the auth plugin.
  app.register(rateLimit, { global: false });
  app.register(authPlugin, {
    rateLimitPerMinute: o.rateLimitPerMinute,
    authFailuresPerMinute: o.authFailuresPerMinute,
    now: o.now,
  });
  app.register(ingestRoutes, {
    maxBatchRows: o.maxBatchRows,
    geoipDb: o.geoipDb,
    userAgentCacheSize: o.userAgentCacheSize,
    now: o.now,
  });
  const exports = new ExportSlots(o.maxExportsPerKey);
  app.register(dataRoutes, { exports });
  app.register(dashboardRoutes, { cacheEntries: o.dashboardCacheEntries, exports, now: o.now });
  app.register(keysRoutes, { generatePerHour: o.generatePerHour, now: o.now });
  app.register(monitorRoutes, { monitor: o.monitor, now: o.now });
  app.register(healthRoutes);
  if (o.dashboardDir !== false) app.register(pagesRoutes, { dir: o.dashboardDir ?? bundledDashboardDir() });
  app.register(retentionJob, {
    retentionMonths: o.retentionMonths,
    maxAgeMonths: o.maxAgeMonths,
    intervalMs: o.retentionIntervalMs,
  });
  // Every 5 minutes: the rollup fold follows the hours closely (hours not folded yet are read
  // from their hour buckets); the rest is cheap when there is nothing to do.
  app.register(maintenanceJob, { intervalMs: 5 * 60 * 1000 });
  app.register(backupJob, {
    dir: o.backupDir,
    intervalMs: o.backupIntervalMs,
    keep: o.backupKeep,
    db: o.db,
    now: o.now,
  });
  app.register(demoJob, { enabled: o.demo, now: o.now });
  app.register(monitoringJob, { monitor: o.monitor, now: o.now, pruneIntervalMs: o.retentionIntervalMs });
  return app;
}
