// Quick-start snippets for the five adapters, shown on the landing page, after generating a key
// and on an empty dashboard. The key and the collector's URL are filled in when known.

/** One framework's quick start. */
export interface Snippet {
  id: string;
  label: string;
  install: string;
  code: string;
}

/** The snippets for an API key (or a placeholder) and this collector's URL. */
export function snippets(apiKey: string | null, serverUrl: string): Snippet[] {
  const key = apiKey ? `'${apiKey}'` : 'process.env.APILENS_API_KEY';
  // The SDKs default to http://localhost:8787 (or APILENS_SERVER_URL): name any other collector.
  const local = /^http:\/\/(localhost|127\.0\.0\.1):8787$/.test(serverUrl);
  const opts = local ? '' : `, { serverUrl: '${serverUrl}' }`;
  const config = local ? '' : `, config: { serverUrl: '${serverUrl}' }`;
  return [
    {
      id: 'express',
      label: 'Express',
      install: 'npm install @apilens/express',
      code: `import express from 'express';
import { expressAnalytics } from '@apilens/express';

const app = express();
app.use(expressAnalytics(${key}${opts})); // first, before your routes

app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
app.listen(3000);`,
    },
    {
      id: 'fastify',
      label: 'Fastify',
      install: 'npm install @apilens/fastify',
      code: `import Fastify from 'fastify';
import { fastifyAnalytics } from '@apilens/fastify';

const app = Fastify();
await app.register(fastifyAnalytics, { apiKey: ${key}${config} });

app.get('/users/:id', async (request) => ({ id: request.params.id }));
await app.listen({ port: 3000 });`,
    },
    {
      id: 'koa',
      label: 'Koa',
      install: 'npm install @apilens/koa',
      code: `import Koa from 'koa';
import Router from '@koa/router';
import { koaAnalytics } from '@apilens/koa';

const app = new Koa();
app.use(koaAnalytics(${key}${opts})); // first

const router = new Router();
router.get('/users/:id', (ctx) => { ctx.body = { id: ctx.params.id }; });
app.use(router.routes());
app.listen(3000);`,
    },
    {
      id: 'hono',
      label: 'Hono',
      install: 'npm install @apilens/hono',
      code: `import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { honoAnalytics } from '@apilens/hono';

const app = new Hono();
app.use('*', honoAnalytics(${key}${opts})); // first

app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
serve({ fetch: app.fetch, port: 3000 });`,
    },
    {
      id: 'nestjs',
      label: 'NestJS',
      install: 'npm install @apilens/nestjs',
      code: `import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@apilens/nestjs';

@Module({
  imports: [
    AnalyticsModule.forRoot({ apiKey: ${key}${config} }),
  ],
})
export class AppModule {}`,
    },
  ];
}
