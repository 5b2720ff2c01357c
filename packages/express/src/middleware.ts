import { Analytics, attachControls, Config as CoreConfig, nodeAccessors } from '@apilens/core';
import type { NextFunction, Request, Response } from 'express';
import type { ExpressAnalyticsMiddleware, ExpressConfigInput } from './types.js';

/**
 * apilens configuration for Express. Same fields as the core `Config`, with the
 * mappers typed for the Express `Request`.
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (req) => req.get('x-user-id');
 * app.use(expressAnalytics(process.env.APILENS_API_KEY, config));
 */
export class Config extends CoreConfig<Request> {}

// Raw values only: the core strips the query string and splits x-forwarded-for at flush time.
const ACCESSORS = nodeAccessors<Request>(
  (req) => req,
  (req) => req.originalUrl,
);

const HOOKED = Symbol('apilens.hooked');

type ExpressRoute = { path?: unknown };

/** `req.route` as Express assigned it, and `req.baseUrl` at that moment. */
interface RouteMatch {
  route: ExpressRoute;
  baseUrl: string;
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
    get(this: Request) {
      return matches.get(this)?.route;
    },
    set(this: Request, route: ExpressRoute) {
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
function routeOf(req: Request): string | null {
  const route = req.route as ExpressRoute | undefined;
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
 * Creates the apilens middleware for Express 4 and 5. Register it before your
 * routes; it records every request once its response has finished.
 *
 * Requests whose connection closes before the response is complete (client
 * aborts) are deliberately not recorded: the client received no status.
 *
 * @param apiKey your apilens API key; without one the middleware does nothing (and warns once)
 * @param config a {@link Config} or an options object; malformed options throw a TypeError here
 * @example
 * import express from 'express';
 * import { expressAnalytics } from '@apilens/express';
 *
 * const app = express();
 * const analytics = expressAnalytics(process.env.APILENS_API_KEY);
 * app.use(analytics);
 * process.on('SIGTERM', () => analytics.shutdown().finally(() => process.exit(0)));
 */
export function expressAnalytics(
  apiKey: string | undefined | null,
  config?: ExpressConfigInput,
): ExpressAnalyticsMiddleware {
  const analytics = new Analytics<Request>(apiKey, 'Express', config);
  const record = analytics.createRecorder<Request>(ACCESSORS);

  let hookedProto: unknown;

  const middleware = analytics.enabled
    ? function apilensExpress(req: Request, res: Response, next: NextFunction): void {
        const start = performance.now();
        const proto = Object.getPrototypeOf(req);
        if (proto !== hookedProto) {
          trackRoutes(proto);
          hookedProto = proto;
        }
        // 'finish': the last byte was handed to the OS, streamed bodies included.
        // The route and status are read then, after routing and error handlers have run.
        res.on('finish', () => {
          record(req, req.method, res.statusCode, routeOf(req), performance.now() - start);
        });
        next();
      }
    : function apilensExpress(_req: Request, _res: Response, next: NextFunction): void {
        next();
      };

  return attachControls(middleware, analytics);
}
