// The platforms' objects as apilens sees them. Declared (or taken from the adapters' internal
// types) so that neither express nor fastify is needed to build or type-check this package.
import type { ExpressLikeRequest, ExpressLikeResponse } from '@apilens/express/internal';
import type { FastifyLikeRequest, OnResponseHook } from '@apilens/fastify/internal';
import type { NOTE } from './constants.js';

/** What the interceptor notes on a request it saw: {@link RECORD} or {@link SKIP}. */
interface Noted {
  [NOTE]?: number;
}

export type NestExpressRequest = ExpressLikeRequest & Noted;
export type NestFastifyRequest = FastifyLikeRequest & Noted;

/** The Express app of `@nestjs/platform-express` (`adapter.getInstance()`). */
export interface ExpressLikeApp {
  use(middleware: (req: NestExpressRequest, res: ExpressLikeResponse, next: () => void) => void): unknown;
}

/** The Fastify instance of `@nestjs/platform-fastify` (`adapter.getInstance()`). */
export interface FastifyLikeInstance {
  addHook(name: 'onResponse', hook: OnResponseHook<NestFastifyRequest>): unknown;
}

/** Which requests to record: all but skipped ones, or only those an interceptor marked. */
export type RouteScope = 'all' | 'marked';

/** What the options token holds: the user's options plus which requests to record. */
export interface ResolvedModuleOptions {
  apiKey?: string;
  config?: object;
  routes: RouteScope;
}
