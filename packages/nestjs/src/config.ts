import { Config as CoreConfig } from '@apilens/core';

/**
 * apilens configuration for NestJS. Same fields as the core `Config`; `Req` is the
 * platform's request (Express's `Request` or `FastifyRequest`), which the mappers receive.
 *
 * @example
 * const config = new Config<Request>();
 * config.getUserID = (req) => req.user?.id;
 * AnalyticsModule.forRoot({ apiKey: process.env.APILENS_API_KEY, config });
 */
export class Config<Req = any> extends CoreConfig<Req> {}
