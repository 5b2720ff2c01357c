export { type AnalyticsStats, ApilensError, Config, type Options } from '@apilens/core';
export { ANALYTICS_MODULE_OPTIONS, SKIP_ANALYTICS } from './constants.js';
export { SkipAnalytics } from './decorators.js';
export { AnalyticsInterceptor } from './interceptor.js';
export { AnalyticsModule } from './module.js';
export { AnalyticsService } from './service.js';
export type {
  AnalyticsModuleAsyncOptions,
  AnalyticsModuleOptions,
  AnalyticsModuleRootOptions,
  AnalyticsModuleWiring,
} from './types.js';
