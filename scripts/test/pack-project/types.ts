// Type-checked by pack-smoke.test.ts against the installed packages' own .d.ts files, copied as
// check.mts and check.cts (moduleResolution node16: the ESM and the CommonJS types, one program
// each, as a project is one or the other) and check.ts (moduleResolution bundler). Every
// expected error below proves a type is real: were it `any`, the directive would be unused and
// the check would fail.
import { Analytics, type AnalyticsStats, ApilensError, Config as CoreConfig } from '@apilens/core';
import { type ExpressAnalyticsMiddleware, expressAnalytics } from '@apilens/express';
import fastifyAnalytics, { type FastifyAnalyticsOptions } from '@apilens/fastify';
import { type HonoAnalyticsMiddleware, honoAnalytics } from '@apilens/hono';
import { Config as KoaConfig, koaAnalytics } from '@apilens/koa';
import { buildServer, type ServerOptions } from '@apilens/server';

const core = new Analytics('key', 'MyFramework', new CoreConfig({ privacyLevel: 1 }));
core.record({ method: 'GET', path: '/a', status: 200, responseTimeMs: 1 });
const stats: AnalyticsStats = core.stats();
const delivered: Promise<boolean> = core.shutdown(1000);
// @ts-expect-error privacyLevel is 0, 1 or 2
new CoreConfig({ privacyLevel: 3 });

const express: ExpressAnalyticsMiddleware = expressAnalytics('key', {
  getUserID: (req) => req.header('x-user-id'),
});
// @ts-expect-error the Express request has no `nope`
expressAnalytics('key', { getPath: (req) => req.nope });

const fastifyOptions: FastifyAnalyticsOptions = { apiKey: 'key', config: { exclude: ['/health'] } };
const plugin: typeof fastifyAnalytics = fastifyAnalytics;
// @ts-expect-error the plugin's options need an API key field of type string
const wrongOptions: FastifyAnalyticsOptions = { apiKey: 42 };

const hono: HonoAnalyticsMiddleware = honoAnalytics('key', { getUserID: (c) => c.req.header('x-user-id') });
// @ts-expect-error compression is 'gzip' or 'none'
honoAnalytics('key', { compression: 'br' });

const koa = koaAnalytics('key', new KoaConfig());
// @ts-expect-error getUserID returns a string or a number, not Koa's request object
koaAnalytics('key', { getUserID: (ctx) => ctx.request });

const serverOptions: ServerOptions = { maxBatchRows: 5000, geoipDb: false };
const server = buildServer(serverOptions);
// @ts-expect-error maxBatchRows is a number
buildServer({ maxBatchRows: '5000' });

export const used = [
  stats,
  delivered,
  express,
  fastifyOptions,
  plugin,
  hono,
  koa,
  wrongOptions,
  server,
  ApilensError,
];
