import { fastifyAnalytics } from './plugin.js';

export { type AnalyticsStats, ApilensError, Config, type Options } from '@apilens/core';
export { fastifyAnalytics } from './plugin.js';
export type { ApilensHandle, FastifyAnalyticsOptions } from './types.js';
export default fastifyAnalytics;
