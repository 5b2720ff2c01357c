// How a request on Express is recorded: a 'finish' listener per response and the route template
// of the handler that answered. Used by `expressAnalytics()` and by @apilens/nestjs on Express.
import { type Analytics, nodeAccessors } from '@apilens/core';
import type { ExpressLikeRequest, ExpressLikeResponse, ExpressRoute } from './internal-types.js';

/**
 * Decides, once a response has finished, whether the request is recorded and under
 * which route: `route` is the template worked out from Express (or `null`); return
 * it (or another one), or `false` to leave the request out.
 */
export type SelectRoute<Req> = (req: Req, route: string | null) => string | null | false;

// Raw values only: the core strips the query string and splits x-forwarded-for at flush time.
const ACCESSORS = nodeAccessors<ExpressLikeRequest>(
  (req) => req,
  (req) => req.originalUrl ?? req.url,
);

// `Symbol.for`: the ESM and CJS builds (and the index and internal entries) agree on it.
const HOOKED = Symbol.for('apilens.express.hooked');

/** `req.route` as Express assigned it, and `req.baseUrl` at that moment. */
interface RouteMatch {
  route: ExpressRoute;
  baseUrl: string | undefined;
}

// A WeakMap rather than properties on `req`: adding properties to Express's request
// objects measured about twice as expensive.
const matches = new WeakMap<object, RouteMatch>();

/**
 * Express restores `req.baseUrl` when an error leaves a nested router, before
 * the app-level error handler answers; by the time the response finishes the
 * mount prefix is gone. An accessor for `route` on the app's request prototype
 * (installed once per app) notes `baseUrl` at the moment Express assigns
 * `req.route`, i.e. when the route's handler is about to run. `req.route` keeps
 * reading and writing the same value.
 */
function trackRoutes(proto: Record<PropertyKey, unknown> | null): void {
  if (proto === null || Object.hasOwn(proto, HOOKED)) return;
  proto[HOOKED] = true;
  if (Object.getOwnPropertyDescriptor(proto, 'route') !== undefined) return;
  Object.defineProperty(proto, 'route', {
    configurable: true,
    enumerable: true,
    get(this: ExpressLikeRequest) {
      return matches.get(this)?.route;
    },
    set(this: ExpressLikeRequest, route: ExpressRoute) {
      matches.set(this, { route, baseUrl: this.baseUrl });
    },
  });
}

/**
 * Route template of the handler that answered: the mount path of the router it
 * lives in (`req.baseUrl` when the route matched) and its own path, e.g.
 * `/users` + `/:id`. `null` when no route matched (a 404 from Express, or a
 * response sent by a middleware).
 */
function routeOf(req: ExpressLikeRequest): string | null {
  const route = req.route;
  if (route === undefined || route === null) return null;
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  // Sub-apps have a request prototype of their own: fall back to baseUrl as it is now.
  const match = matches.get(req);
  const base = match !== undefined && match.route === route ? match.baseUrl : req.baseUrl;
  if (!base) return path;
  // `router.get('/')` inside a router mounted at `/users` answers `/users`, not `/users/`.
  return path === '/' ? base : base + path;
}

/**
 * The Express middleware that records every request once its response has finished
 * ('finish': the last byte was handed to the OS, streamed bodies included). The
 * route and status are read then, after routing and error handlers have run.
 * Requests whose connection closes first (client aborts) are not recorded.
 *
 * @param analytics the client the records go to (enabled: the caller checks)
 * @param select decides per request, see {@link SelectRoute} @default every request, the Express route
 * @example
 * app.use(recordingMiddleware(analytics));
 */
export function recordingMiddleware<Req extends ExpressLikeRequest, Res extends ExpressLikeResponse>(
  analytics: Analytics<Req>,
  select?: SelectRoute<Req>,
): (req: Req, res: Res, next: () => void) => void {
  const record = analytics.createRecorder<Req>(ACCESSORS);
  let hookedProto: unknown;
  return function apilensExpress(req, res, next) {
    const start = performance.now();
    const proto = Object.getPrototypeOf(req);
    if (proto !== hookedProto) {
      trackRoutes(proto);
      hookedProto = proto;
    }
    res.on('finish', () => {
      const route = select === undefined ? routeOf(req) : select(req, routeOf(req));
      if (route === false) return;
      const end = performance.now();
      record(req, req.method, res.statusCode, route, end - start, end);
    });
    next();
  };
}
