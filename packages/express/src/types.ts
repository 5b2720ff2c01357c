import type { Analytics, Config as CoreConfig, Options } from '@apilens/core';
import type { NextFunction, Request, Response } from 'express';

/** SDK options with mappers typed for Express: each receives the Express `Request`. */
export type ExpressOptions = Options<Request>;

/** What {@link expressAnalytics} returns: an Express middleware with the SDK's controls attached. */
export interface ExpressAnalyticsMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** The underlying client, e.g. for `analytics.stats()`. */
  readonly analytics: Analytics<Request>;
  /** Sends the records queued now; resolves when they are delivered or given up on. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops the timers and delivers what is queued, waiting at most `timeoutMs`.
   * @param timeoutMs @default 5000
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Config accepted by {@link expressAnalytics}: a {@link CoreConfig} instance or an options object. */
export type ExpressConfigInput = CoreConfig<Request> | ExpressOptions;
