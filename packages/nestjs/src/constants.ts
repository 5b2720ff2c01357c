/** Injection token of the resolved {@link AnalyticsModuleOptions}. */
export const ANALYTICS_MODULE_OPTIONS = 'APILENS_ANALYTICS_MODULE_OPTIONS';

/** Metadata key set by `@SkipAnalytics()` on a controller class or handler. */
export const SKIP_ANALYTICS = 'apilens:skip-analytics';

/** Route config metadata read by `@nestjs/platform-fastify` (`@RouteConfig()`); `analytics: false` opts a route out. */
export const FASTIFY_ROUTE_CONFIG = '__fastify_route_config__';

/**
 * Per-request note left by the interceptor. `Symbol.for` so that the ESM and CJS builds, if
 * both end up loaded, still read each other's notes.
 */
export const NOTE = Symbol.for('apilens.nestjs.note');

/** Values of the {@link NOTE}: the handler was reached and is to be recorded, or skipped. */
export const RECORD = 1;
export const SKIP = 2;
/** Set on the Express app / Fastify instance once it is observed, to refuse a second module. */
export const OBSERVED = Symbol.for('apilens.nestjs.observed');
