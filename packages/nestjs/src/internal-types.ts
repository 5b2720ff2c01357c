// The few fields of the platforms' request/response objects apilens reads. Declared here so
// that neither express nor fastify is needed to build or type-check this package.
import type { NOTE, STARTED } from './constants.js';

type Headers = Record<string, string | string[] | undefined>;

export interface ExpressLikeRequest {
  method: string;
  url: string;
  originalUrl?: string;
  headers: Headers;
  socket?: { remoteAddress?: string };
  route?: { path?: unknown; stack?: Array<{ handle?: object }> };
  [NOTE]?: number;
  [STARTED]?: number;
}

export interface ExpressLikeResponse {
  req: ExpressLikeRequest;
  statusCode: number;
  on(event: 'finish', fn: (this: ExpressLikeResponse) => void): unknown;
}

export interface FastifyLikeRequest {
  method: string;
  url: string;
  headers: Headers;
  socket?: { remoteAddress?: string };
  routeOptions?: { url?: string; config?: { analytics?: boolean } };
  [NOTE]?: number;
}

export interface FastifyLikeReply {
  statusCode: number;
  elapsedTime: number;
}

/** What the options token holds: the user's options plus which requests to record. */
export interface ResolvedModuleOptions {
  apiKey?: string;
  config?: object;
  scope: 'all' | 'marked';
}
