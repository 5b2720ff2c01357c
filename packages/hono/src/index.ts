export {
  type AnalyticsControls,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type ExcludeOption,
  type PrivacyLevel,
} from '@apilens/core';
export { Config, honoAnalytics } from './middleware.js';
export type { HonoAnalyticsMiddleware, HonoConfigInput, HonoOptions } from './types.js';
