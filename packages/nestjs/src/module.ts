import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ANALYTICS_MODULE_OPTIONS } from './constants.js';
import { AnalyticsInterceptor } from './interceptor.js';
import type { ResolvedModuleOptions, RouteScope } from './internal-types.js';
import { AnalyticsService } from './service.js';
import type {
  AnalyticsModuleAsyncOptions,
  AnalyticsModuleRootOptions,
  AnalyticsModuleWiring,
} from './types.js';

const PACKAGE = '@apilens/nestjs';
const OPTION_FIELDS = new Set(['apiKey', 'config', 'routes', 'global', 'isGlobal']);

/** Which routes to record, from `routes` or its deprecated alias `global`. */
function routeScope({ routes, global }: AnalyticsModuleWiring): RouteScope {
  if (routes !== undefined && routes !== 'all' && routes !== 'marked') {
    throw new TypeError(`${PACKAGE}: routes must be 'all' or 'marked', got ${JSON.stringify(routes)}.`);
  }
  if (global !== undefined && typeof global !== 'boolean') {
    throw new TypeError(`${PACKAGE}: global must be true or false, got ${typeof global}.`);
  }
  const fromGlobal = global === undefined ? undefined : global ? 'all' : 'marked';
  if (routes !== undefined && fromGlobal !== undefined && routes !== fromGlobal) {
    throw new TypeError(
      `${PACKAGE}: routes: '${routes}' and the deprecated global: ${global} disagree. Drop global: routes replaces it (global: false is routes: 'marked').`,
    );
  }
  return routes ?? fromGlobal ?? 'all';
}

function resolveOptions(options: unknown, routes: RouteScope, where: string): ResolvedModuleOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${PACKAGE}: ${where} must be an object such as { apiKey, config }, got ${Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_FIELDS.has(key)) {
      throw new TypeError(
        `${PACKAGE}: unknown option ${key} in ${where}. Known options: apiKey, config, routes, isGlobal; SDK settings such as serverUrl go inside config, e.g. { apiKey, config: { ${key}: … } }.`,
      );
    }
  }
  if (o.apiKey !== undefined && o.apiKey !== null && typeof o.apiKey !== 'string') {
    throw new TypeError(
      `${PACKAGE}: apiKey must be a string (the key from \`apilens keys create\`), got ${typeof o.apiKey}.`,
    );
  }
  return { apiKey: o.apiKey as string | undefined, config: o.config as object | undefined, routes };
}

function build(optionsProvider: Provider, wiring: AnalyticsModuleWiring, imports: DynamicModule['imports']) {
  const providers: Provider[] = [
    optionsProvider,
    {
      provide: AnalyticsService,
      useFactory: (options: ResolvedModuleOptions, host: HttpAdapterHost) =>
        new AnalyticsService(options, host),
      inject: [ANALYTICS_MODULE_OPTIONS, HttpAdapterHost],
    },
    AnalyticsInterceptor,
  ];
  // No APP_INTERCEPTOR: recording happens at the platform level and reads @SkipAnalytics() from
  // the route, so a global interceptor would add nothing but Nest's rxjs pipeline to every
  // request (a third of the throughput of a hello-world app; see docs/benchmarks.md).
  const module: DynamicModule = {
    module: AnalyticsModule,
    global: wiring.isGlobal !== false,
    providers,
    exports: [AnalyticsService, AnalyticsInterceptor],
  };
  if (imports) module.imports = imports;
  return module;
}

/**
 * Records every request of a Nest app (Express or Fastify platform) and ships the records to
 * your apilens collector. Import it once, in the root module.
 *
 * @example
 * @Module({ imports: [AnalyticsModule.forRoot({ apiKey: process.env.APILENS_API_KEY })] })
 * export class AppModule {}
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static factories.
export class AnalyticsModule {
  /**
   * Configures the module with static options.
   * @example AnalyticsModule.forRoot({ apiKey: process.env.APILENS_API_KEY, config: { privacyLevel: 1 } })
   */
  static forRoot<Req = any>(options: AnalyticsModuleRootOptions<Req> = {}): DynamicModule {
    const { routes, global, isGlobal, ...rest } = (options ?? {}) as AnalyticsModuleRootOptions<Req>;
    const resolved = resolveOptions(
      rest,
      routeScope({ routes, global }),
      'AnalyticsModule.forRoot() options',
    );
    return build({ provide: ANALYTICS_MODULE_OPTIONS, useValue: resolved }, { isGlobal }, undefined);
  }

  /**
   * Configures the module from a factory, e.g. to read the key from `ConfigService`.
   * @example
   * AnalyticsModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ apiKey: config.get('APILENS_API_KEY') }),
   * })
   */
  static forRootAsync<Req = any>(options: AnalyticsModuleAsyncOptions<Req>): DynamicModule {
    if (typeof options?.useFactory !== 'function') {
      throw new TypeError(
        `${PACKAGE}: AnalyticsModule.forRootAsync() needs a useFactory function returning { apiKey, config }.`,
      );
    }
    const { useFactory, inject = [], imports, routes, global, isGlobal } = options;
    const scope = routeScope({ routes, global });
    return build(
      {
        provide: ANALYTICS_MODULE_OPTIONS,
        useFactory: async (...args: unknown[]) =>
          resolveOptions(
            await useFactory(...args),
            scope,
            'the options returned by the AnalyticsModule.forRootAsync() factory',
          ),
        inject,
      },
      { isGlobal },
      imports,
    );
  }
}
