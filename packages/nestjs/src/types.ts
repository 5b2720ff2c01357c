import type { Options } from '@apilens/core';
import type { ModuleMetadata } from '@nestjs/common';
import type { Config } from './config.js';

/**
 * SDK options with mappers typed for the platform's request: Express's `Request` on
 * `@nestjs/platform-express`, `FastifyRequest` on `@nestjs/platform-fastify`.
 */
export type NestOptions<Req = any> = Options<Req>;

/** Config accepted by the module: a {@link Config} instance or an options object. */
export type NestConfigInput<Req = any> = Config<Req> | NestOptions<Req>;

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
  config?: NestConfigInput<Req>;
}

/** How the module is wired into the app; given to `forRoot` and `forRootAsync` alike. */
export interface AnalyticsModuleWiring {
  /**
   * Which routes are recorded. `'all'`: every request of the app (unmatched ones included),
   * except controllers and handlers marked with `@SkipAnalytics()`. `'marked'`: only requests
   * to the controllers and handlers decorated with `@UseInterceptors(AnalyticsInterceptor)`.
   * @default 'all'
   */
  routes?: 'all' | 'marked';
  /**
   * Same as `routes`: `true` is `routes: 'all'`, `false` is `routes: 'marked'`. Renamed
   * because it read like Nest's own `global` (see `isGlobal`).
   * @deprecated Use `routes`. Giving both, in disagreement, is a TypeError.
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
