import type { AnalyticsControls, Config as CoreConfig, Options } from '@apilens/core';
import type { NextFunction, Request, Response } from 'express';

/** SDK options with mappers typed for Express: each receives the Express `Request`. */
export type ExpressOptions = Options<Request>;

/** What {@link expressAnalytics} returns: an Express middleware with the SDK's controls attached. */
export interface ExpressAnalyticsMiddleware extends AnalyticsControls<Request> {
  (req: Request, res: Response, next: NextFunction): void;
}

/** Config accepted by {@link expressAnalytics}: a {@link CoreConfig} instance or an options object. */
export type ExpressConfigInput = CoreConfig<Request> | ExpressOptions;
