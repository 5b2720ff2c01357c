import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import fp from 'fastify-plugin';

/** Which plugin provides each decorator the collector's plugins use. */
const PROVIDERS = {
  apilens: 'apilens-store',
  apilensAuth: 'apilens-auth',
  rateLimit: '@fastify/rate-limit',
} as const;

/** A decorator of the Fastify instance that a plugin uses. */
export type Decorator = keyof typeof PROVIDERS;

/**
 * Wraps a plugin with `fastify-plugin` metadata: its name, the Fastify major it is written for, and
 * the decorators it uses (with the plugins providing them), which Fastify checks when the plugin is
 * registered, so a plugin registered before its dependencies fails at startup naming what is missing.
 * `shared: true` for a plugin whose decorators and hooks must be visible to the whole server (the
 * store, auth); otherwise the plugin is encapsulated (routes, jobs): what it adds stays inside it.
 *
 * @example
 * export default definePlugin(healthRoutes, { name: 'apilens-health', uses: ['apilens'] });
 */
export function definePlugin<O extends FastifyPluginOptions>(
  plugin: FastifyPluginAsync<O>,
  meta: { name: string; uses?: readonly Decorator[]; shared?: boolean },
): FastifyPluginAsync<O> {
  const uses = meta.uses ?? [];
  return fp(plugin, {
    fastify: '5.x',
    name: meta.name,
    encapsulate: !meta.shared,
    dependencies: uses.map((d) => PROVIDERS[d]),
    decorators: { fastify: [...uses] },
  });
}
