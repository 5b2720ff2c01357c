// `@apilens/express/internal`: the recording code @apilens/nestjs reuses on Nest's Express
// platform. Not part of the public API; it changes with the packages of the same release.
export type { ExpressLikeRequest, ExpressLikeResponse, ExpressRoute } from './internal-types.js';
export { recordingMiddleware, type SelectRoute } from './recording.js';
