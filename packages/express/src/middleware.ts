import { type Analytics, Config as CoreConfig, instrument } from '@apilens/core';
import type { NextFunction, Request, Response } from 'express';
import { recordingMiddleware } from './recording.js';
import type { ExpressAnalyticsMiddleware, ExpressConfigInput } from './types.js';

/** Who reports, for the collector and for messages. */
const IDENTITY = { framework: 'Express', packageName: '@apilens/express' };

/**
 * apilens configuration for Express. Same fields as the core `Config`, with the
 * mappers typed for the Express `Request`.
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (req) => req.get('x-user-id');
 * app.use(expressAnalytics(process.env.APILENS_API_KEY, config));
 */
export class Config<Req extends Request = Request> extends CoreConfig<Req> {}

/**
 * Creates the apilens middleware for Express 4 and 5. Register it before your
 * routes; it records every request once its response has finished.
 *
 * Requests whose connection closes before the response is complete (client
 * aborts) are deliberately not recorded: the client received no status.
 *
 * @param apiKey your apilens API key; without one the middleware does nothing (and warns once)
 * @param config a {@link Config} or an options object; malformed options throw a TypeError here
 * @example
 * import express from 'express';
 * import { expressAnalytics } from '@apilens/express';
 *
 * const app = express();
 * const analytics = expressAnalytics(process.env.APILENS_API_KEY);
 * app.use(analytics);
 * process.on('SIGTERM', () => analytics.shutdown().finally(() => process.exit(0)));
 */
export function expressAnalytics(
  apiKey: string | undefined | null,
  config?: ExpressConfigInput,
): ExpressAnalyticsMiddleware {
  return instrument(apiKey, IDENTITY, config, (analytics: Analytics<Request>) =>
    analytics.enabled
      ? recordingMiddleware<Request, Response>(analytics)
      : function apilensExpress(_req: Request, _res: Response, next: NextFunction): void {
          next();
        },
  );
}
