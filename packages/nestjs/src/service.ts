import { Analytics, type AnalyticsControls, attachControls } from '@apilens/core';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedModuleOptions } from './internal-types.js';
import { observe } from './platform.js';

const PACKAGE = '@apilens/nestjs';
/** Who reports, for the collector and for messages. */
const IDENTITY = { framework: 'NestJS', packageName: PACKAGE };

// The service's controls are the core's (`analytics`, `flush()`, `shutdown()`, `stats()`),
// attached by the constructor as on every adapter: the interface merged in types them.
export interface AnalyticsService extends AnalyticsControls {}

/**
 * The apilens client of the app, created by `AnalyticsModule`. It hooks the HTTP platform
 * (Express or Fastify) when the app is created, records every response once it has been sent,
 * and delivers what is queued when the app closes (`await app.close()`).
 *
 * Inject it to flush by hand or read the counters:
 * @example
 * constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged members are set by attachControls() in the constructor.
export class AnalyticsService implements OnApplicationShutdown {
  /** Created by `AnalyticsModule` through a factory provider (explicit tokens, no decorator metadata needed). */
  constructor(options: ResolvedModuleOptions, adapterHost: HttpAdapterHost | undefined) {
    const analytics = new Analytics(options.apiKey, IDENTITY, options.config);
    attachControls(this, analytics);
    if (!analytics.enabled) return;
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
    if (!observe(type, adapter.getInstance(), analytics, options.routes)) {
      console.warn(
        `[${PACKAGE}] The HTTP platform "${type}" is not supported: nothing is recorded. Use @nestjs/platform-express or @nestjs/platform-fastify.`,
      );
    }
  }

  /** Nest calls this on `app.close()` (and on signals with `enableShutdownHooks()`), after the server stopped. */
  async onApplicationShutdown(): Promise<void> {
    await this.analytics.shutdown();
  }
}
