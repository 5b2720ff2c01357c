// `@apilens/fastify/internal`: the recording code @apilens/nestjs reuses on Nest's Fastify
// platform. Not part of the public API; it changes with the packages of the same release.
export type { FastifyLikeReply, FastifyLikeRequest, OnResponseHook } from './internal-types.js';
export { recordingHook } from './recording.js';
