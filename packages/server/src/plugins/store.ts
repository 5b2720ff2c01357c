import type { FastifyPluginAsync } from 'fastify';
import { type RetentionCounts, runAllRetention } from '../jobs/retention.js';
import { guardStore } from '../store/guard.js';
import { openStore } from '../store/index.js';
import type { Store } from '../types.js';
import { definePlugin } from './define.js';

/**
 * What {@link buildServer} decorates the Fastify instance with, as `app.apilens`: added by the
 * store plugin when the server loads (`ready()`, `listen()`, or inside a plugin registered after
 * `buildServer`).
 */
export interface ApilensDecoration {
  /**
   * The store, available once `app.ready()` (or `listen`) has resolved. A failure of any of its
   * methods is marked as the store's, so a route that lets it propagate answers 503.
   */
  readonly store: Store;
  /**
   * Runs the retention job now (it also runs on its own every `retentionIntervalMs`, in one
   * process per database): unused keys (`retentionMonths`), then old requests (`maxAgeMonths`).
   */
  runRetention(): Promise<RetentionCounts>;
}

declare module 'fastify' {
  interface FastifyInstance {
    apilens: ApilensDecoration;
  }
}

/** Options of the store plugin: a store to use, or where to open one. */
export interface StorePluginOptions {
  /** A store owned by the caller: migrated on ready, never closed here. */
  store: Store | undefined;
  db: string;
  databaseUrl: string | undefined;
  retentionMonths: number;
  maxAgeMonths: number;
  now: () => number;
}

/**
 * Owns the store: opens it (and applies migrations) on `ready`, after every plugin has loaded
 * (so a plugin that fails to load, such as a missing GeoIP file, never touches the database),
 * and closes it on `close` unless the caller passed it in. Decorates `app.apilens`.
 */
const storePlugin: FastifyPluginAsync<StorePluginOptions> = async (app, o) => {
  let store: Store | undefined;
  const open = (): Store => {
    if (!store) throw new Error('@apilens/server: the store is not open yet; await app.ready() first');
    return store;
  };

  app.decorate('apilens', {
    get store() {
      return open();
    },
    runRetention: async () => runAllRetention(open(), o.now(), o),
  } satisfies ApilensDecoration);

  app.addHook('onReady', async () => {
    if (o.store) await o.store.migrate();
    store = guardStore(o.store ?? (await openStore({ db: o.db, databaseUrl: o.databaseUrl })));
  });

  app.addHook('onClose', async () => {
    // A store passed in belongs to the caller.
    if (store && !o.store) await store.close();
  });
};

export default definePlugin(storePlugin, { name: 'apilens-store', shared: true });
