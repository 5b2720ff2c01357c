import type { AnalyticsControls, Config, Options } from '@apilens/core';
import type { FastifyRequest } from 'fastify';

/** Options of {@link fastifyAnalytics}, passed as the second argument of `app.register`. */
export interface FastifyAnalyticsOptions {
  /**
   * API key from `apilens keys create`. Without one the plugin warns once and records nothing.
   * @default undefined
   */
  apiKey?: string;
  /** SDK options: privacy level, collector URL, mappers (given the Fastify request), exclude, batching. */
  config?: FastifyConfigInput;
}

/**
 * What the plugin decorates the Fastify instance with, as `app.apilens`: the SDK's controls
 * (`flush()`, `shutdown()`, `stats()`, `analytics`). `shutdown()` is called for you by `app.close()`.
 */
export type ApilensHandle = AnalyticsControls<FastifyRequest>;

/** SDK options with mappers typed for Fastify: each receives the `FastifyRequest`. */
export type FastifyOptions = Options<FastifyRequest>;

/** Config accepted in {@link FastifyAnalyticsOptions.config}: a `Config` instance or an options object. */
export type FastifyConfigInput = Config<FastifyRequest> | FastifyOptions;

declare module 'fastify' {
  interface FastifyInstance {
    /** The apilens client registered by `@apilens/fastify`. */
    apilens: ApilensHandle;
  }
  interface FastifyContextConfig {
    /**
     * Set to `false` in a route's `config` to leave that route out of apilens analytics.
     * @default true
     */
    analytics?: boolean;
  }
}
