export {
  type AnalyticsControls,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type ExcludeOption,
  type Options,
  type PrivacyLevel,
} from '@apilens/core';
export { Config } from './config.js';
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
  NestConfigInput,
  NestOptions,
} from './types.js';
