import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors.js';
import { definePlugin } from '../plugins/define.js';
import { PAGE_PATHS, PAGE_SECURITY_HEADERS } from '../web-assets.js';

/** Hashed files never change under their name: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Options of the pages. */
export interface PagesOptions {
  /** The built app (its index.html and assets/); `null` when it is not built. */
  dir: string | null;
}

/**
 * The dashboard web app: its pages (each the app's index.html, never cached, so a new build is
 * picked up at once) and its hashed assets (cached for a year), precompressed with brotli and
 * gzip at build time. Every response here carries the page security headers. `dir` is the
 * built app; `null` answers the pages with a 503 saying how to build it.
 */
const pagesRoutes: FastifyPluginAsync<PagesOptions> = async (app, opts) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(PAGE_SECURITY_HEADERS);
  });

  const dir = opts.dir;
  if (dir === null) {
    for (const path of PAGE_PATHS) {
      app.get(path, async () => {
        throw new HttpError(
          503,
          'the dashboard web app is not built; run `pnpm build` (or `pnpm --filter @apilens/dashboard build`) and restart the collector',
        );
      });
    }
    return;
  }

  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // Only the files the build produced get routes (no wildcard): everything else stays a JSON 404.
    wildcard: false,
    index: false,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.includes('/assets/') ? IMMUTABLE : 'no-cache');
    },
  });

  for (const path of PAGE_PATHS) {
    app.get(path, (_request, reply) => reply.sendFile('index.html'));
  }
};

// Encapsulated: the security headers hook applies to the pages and assets only.
export default definePlugin(pagesRoutes, { name: 'apilens-pages' });
