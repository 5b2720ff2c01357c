export {
  type AnalyticsControls,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type ExcludeOption,
  type PrivacyLevel,
} from '@apilens/core';
export { Config, expressAnalytics } from './middleware.js';
export type { ExpressAnalyticsMiddleware, ExpressConfigInput, ExpressOptions } from './types.js';
