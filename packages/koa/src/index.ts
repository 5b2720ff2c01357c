export {
  type AnalyticsControls,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type ExcludeOption,
  type PrivacyLevel,
} from '@apilens/core';
export { Config, koaAnalytics } from './middleware.js';
export type { KoaAnalyticsMiddleware, KoaConfigInput, KoaOptions } from './types.js';
