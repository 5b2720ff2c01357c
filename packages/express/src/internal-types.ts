import type { NodeRequestLike } from '@apilens/core';

/** What the recording reads of an Express route (`req.route`). */
export interface ExpressRoute {
  path?: unknown;
  stack?: Array<{ handle?: object }>;
}

/**
 * The fields of an Express request the recording reads. Express's own `Request` has
 * them; so does the request of Nest's Express platform, which records through here.
 */
export interface ExpressLikeRequest extends NodeRequestLike {
  method: string;
  url: string;
  originalUrl?: string;
  baseUrl?: string;
  route?: ExpressRoute;
}

/** The fields of an Express response the recording uses. */
export interface ExpressLikeResponse {
  statusCode: number;
  on(event: 'finish', listener: () => void): unknown;
}
