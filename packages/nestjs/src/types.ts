import type { Config, Options } from '@apilens/core';
import type { ModuleMetadata } from '@nestjs/common';

/**
 * Options of {@link AnalyticsModule.forRoot}. `Req` is the platform's request: Express's
 * `Request` on `@nestjs/platform-express`, `FastifyRequest` on `@nestjs/platform-fastify`.
 */
export interface AnalyticsModuleOptions<Req = any> {
  /**
   * API key from `apilens keys create`. Without one the module warns once and records nothing.
   * @default undefined
   */
  apiKey?: string;
  /** SDK options: privacy level, collector URL, mappers (given the platform's request), exclude, batching. */
  config?: Config<Req> | Options<Req>;
}

/** How the module is wired into the app; given to `forRoot` and `forRootAsync` alike. */
export interface AnalyticsModuleWiring {
  /**
   * `true`: record every request of the app, except controllers and handlers marked with
   * `@SkipAnalytics()`. `false`: record only the controllers and handlers decorated with
   * `@UseInterceptors(AnalyticsInterceptor)`.
   * @default true
   */
  global?: boolean;
  /**
   * Make the module's providers (`AnalyticsService`) injectable everywhere without importing
   * the module again.
   * @default true
   */
  isGlobal?: boolean;
}

/** Options of {@link AnalyticsModule.forRoot}. */
export type AnalyticsModuleRootOptions<Req = any> = AnalyticsModuleOptions<Req> & AnalyticsModuleWiring;

/**
 * Options of {@link AnalyticsModule.forRootAsync}: the API key and config come from a factory,
 * e.g. reading `ConfigService`.
 */
export interface AnalyticsModuleAsyncOptions<Req = any>
  extends AnalyticsModuleWiring,
    Pick<ModuleMetadata, 'imports'> {
  /** Returns the options; may be async. Its arguments are the providers listed in `inject`. */
  useFactory: (...args: any[]) => AnalyticsModuleOptions<Req> | Promise<AnalyticsModuleOptions<Req>>;
  /** Tokens of the providers passed to `useFactory`, e.g. `[ConfigService]`. */
  inject?: any[];
}
