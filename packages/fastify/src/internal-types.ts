import type { NodeRequestLike } from '@apilens/core';

/**
 * The fields of a Fastify request the recording reads. Fastify's own `FastifyRequest`
 * has them; so does the request of Nest's Fastify platform, which records through here.
 */
export interface FastifyLikeRequest {
  method: string;
  url: string;
  raw: NodeRequestLike;
  routeOptions?: { url?: string | undefined; config?: { url?: string; analytics?: boolean } | undefined };
  /** The Fastify instance; its `version` tells which clock Fastify times replies with. */
  server?: { version?: string } | undefined;
}

/** The fields of a Fastify reply the recording reads. */
export interface FastifyLikeReply {
  statusCode: number;
  elapsedTime: number;
}

/** An `onResponse` hook, callback style. */
export type OnResponseHook<Req> = (request: Req, reply: FastifyLikeReply, done: () => void) => void;
