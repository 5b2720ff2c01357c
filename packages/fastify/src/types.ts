import type { AnalyticsStats, Config, Options } from '@apilens/core';
import type { FastifyRequest } from 'fastify';

/** Options of {@link fastifyAnalytics}, passed as the second argument of `app.register`. */
export interface FastifyAnalyticsOptions {
  /**
   * API key from `apilens keys create`. Without one the plugin warns once and records nothing.
   * @default undefined
   */
  apiKey?: string;
  /** SDK options: privacy level, collector URL, mappers (given the Fastify request), exclude, batching. */
  config?: Config<FastifyRequest> | Options<FastifyRequest>;
}

/** What the plugin decorates the Fastify instance with, as `app.apilens`. */
export interface ApilensHandle {
  /** Sends every queued record now; resolves once they are delivered or given up on. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops the client and delivers what is queued, waiting at most `timeoutMs`. Called for you by
   * `app.close()`; idempotent.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Counters since registration: queued, in flight, sent, rejected, dropped, retries, failed batches. */
  stats(): AnalyticsStats;
}

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
