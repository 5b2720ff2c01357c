import { Analytics, type AnalyticsStats } from '@apilens/core';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedModuleOptions } from './internal-types.js';
import { observe } from './platform.js';

const PACKAGE = '@apilens/nestjs';

/**
 * The apilens client of the app, created by `AnalyticsModule`. It hooks the HTTP platform
 * (Express or Fastify) when the app is created, records every response once it has been sent,
 * and delivers what is queued when the app closes (`await app.close()`).
 *
 * Inject it to flush by hand or read the counters:
 * @example
 * constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}
 */
export class AnalyticsService implements OnApplicationShutdown {
  private readonly analytics: Analytics;

  /** Created by `AnalyticsModule` through a factory provider (explicit tokens, no decorator metadata needed). */
  constructor(options: ResolvedModuleOptions, adapterHost: HttpAdapterHost | undefined) {
    this.analytics = new Analytics(options.apiKey, 'NestJS', options.config);
    if (!this.analytics.enabled) return;
    // Set by NestFactory.create() before any provider is instantiated, so the hook is in place
    // before Nest registers its middleware and routes.
    const adapter = adapterHost?.httpAdapter;
    if (!adapter) {
      console.warn(
        `[${PACKAGE}] No HTTP adapter (a standalone application context or a microservice): nothing is recorded. AnalyticsModule records HTTP apps made with NestFactory.create().`,
      );
      return;
    }
    const type = adapter.getType();
    if (!observe(type, adapter.getInstance(), this.analytics, options.scope)) {
      console.warn(
        `[${PACKAGE}] The HTTP platform "${type}" is not supported: nothing is recorded. Use @nestjs/platform-express or @nestjs/platform-fastify.`,
      );
    }
  }

  /** Sends every queued record now; resolves once they are delivered or given up on. Never rejects. */
  flush(): Promise<void> {
    return this.analytics.flush();
  }

  /**
   * Stops the client and delivers what is queued, waiting at most `timeoutMs`. Called for you
   * when the app closes; idempotent.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<void> {
    return this.analytics.shutdown(timeoutMs);
  }

  /** Counters since startup: queued, in flight, sent, rejected, dropped, retries, failed batches. */
  stats(): AnalyticsStats {
    return this.analytics.stats();
  }

  /** Nest calls this on `app.close()` (and on signals with `enableShutdownHooks()`), after the server stopped. */
  async onApplicationShutdown(): Promise<void> {
    await this.analytics.shutdown();
  }
}
