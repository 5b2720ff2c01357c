import { fastifyAnalytics } from './plugin.js';

export {
  type AnalyticsControls,
  type AnalyticsStats,
  ApilensError,
  type ApilensErrorCode,
  type ExcludeOption,
  type Options,
  type PrivacyLevel,
} from '@apilens/core';
export { Config, fastifyAnalytics } from './plugin.js';
export type { ApilensHandle, FastifyAnalyticsOptions, FastifyConfigInput, FastifyOptions } from './types.js';
export default fastifyAnalytics;
