// Records at the HTTP platform level, through the Express and Fastify adapters' own recording
// code: a 'finish' listener on Express, an onResponse hook on Fastify. Nest only adds which
// requests count (@SkipAnalytics(), `routes: 'marked'`) and which Express routes are its own.
import type { Analytics } from '@apilens/core';
import { type ExpressLikeResponse, recordingMiddleware } from '@apilens/express/internal';
import { recordingHook } from '@apilens/fastify/internal';
import { NOTE, OBSERVED, RECORD, SKIP, SKIP_ANALYTICS } from './constants.js';
import type {
  ExpressLikeApp,
  FastifyLikeInstance,
  NestExpressRequest,
  NestFastifyRequest,
  RouteScope,
} from './internal-types.js';

/** One HTTP platform: how to recognise its instance, and how to record its requests. */
interface Platform<Instance extends object> {
  /** True when the adapter's instance has what `observe` hooks into. */
  is(instance: object): instance is Instance;
  observe(instance: Instance, analytics: Analytics, routes: RouteScope): void;
}

/** The platforms apilens records, by what `HttpAdapterHost.httpAdapter.getType()` answers. */
const PLATFORMS = {
  express: {
    is: (instance): instance is ExpressLikeApp => typeof (instance as ExpressLikeApp).use === 'function',
    observe: observeExpress,
  } satisfies Platform<ExpressLikeApp>,
  fastify: {
    is: (instance): instance is FastifyLikeInstance =>
      typeof (instance as FastifyLikeInstance).addHook === 'function',
    observe: observeFastify,
  } satisfies Platform<FastifyLikeInstance>,
};

/** An HTTP platform apilens records. */
export type PlatformType = keyof typeof PLATFORMS;

function isPlatformType(type: string): type is PlatformType {
  return Object.hasOwn(PLATFORMS, type);
}

/**
 * Hooks the platform's own "response sent" event; returns false when the platform (or
 * the shape of its instance) is not one apilens records.
 */
export function observe(type: string, instance: unknown, analytics: Analytics, routes: RouteScope): boolean {
  if (instance === null || (typeof instance !== 'object' && typeof instance !== 'function')) return false;
  const target = instance as Record<symbol, unknown>;
  if (target[OBSERVED]) {
    throw new Error(
      '@apilens/nestjs: AnalyticsModule.forRoot()/forRootAsync() is imported more than once in this app, which would record every request twice. Import it once, in the root module (it is global).',
    );
  }
  if (!isPlatformType(type)) return false;
  const platform: Platform<object> = PLATFORMS[type];
  if (!platform.is(instance)) return false;
  target[OBSERVED] = true;
  platform.observe(instance, analytics, routes);
  return true;
}

/** Whether the interceptor's note (or its absence) lets a request be recorded. */
function noted(req: NestExpressRequest | NestFastifyRequest, routes: RouteScope): boolean {
  const note = req[NOTE];
  return note !== SKIP && (routes === 'all' || note === RECORD);
}

// What a request's Express route says, worked out once per route.
interface RouteInfo {
  /** A Nest handler serves the route (not Nest's own 404 handler, which is a route too). */
  nest: boolean;
  /** `@SkipAnalytics()` is on the handler (or its controller). */
  skip: boolean;
}
const routeInfos = new WeakMap<object, RouteInfo>();
// Nest's @Get()/@Post()… metadata key; Nest copies a handler's own metadata (this one, and
// @SkipAnalytics()) onto the function it registers with Express.
const NEST_METHOD_METADATA = 'method';

function expressRouteInfo(route: NonNullable<NestExpressRequest['route']>): RouteInfo {
  let info = routeInfos.get(route);
  if (info === undefined) {
    info = { nest: false, skip: false };
    for (const layer of route.stack ?? []) {
      const handle = layer.handle;
      if (!handle) continue;
      if (Reflect.hasMetadata(NEST_METHOD_METADATA, handle)) info.nest = true;
      if (Reflect.getMetadata(SKIP_ANALYTICS, handle) === true) info.skip = true;
    }
    routeInfos.set(route, info);
  }
  return info;
}

function observeExpress(app: ExpressLikeApp, analytics: Analytics, routes: RouteScope): void {
  // 'finish' fires once the whole response has been handed to the OS, whoever wrote it: the
  // handler, a guard's 403, a pipe's 400, an exception filter or Nest's 404 handler.
  const middleware = recordingMiddleware<NestExpressRequest, ExpressLikeResponse>(analytics, (req, route) => {
    if (!noted(req, routes)) return false;
    const info = req.route === undefined ? undefined : expressRouteInfo(req.route);
    // A request rejected by a guard never reached the interceptor: the route's metadata tells.
    if (info?.skip && req[NOTE] === undefined) return false;
    // Nest's 404 handler is a catch-all route ('*path'): no template for unmatched requests.
    return info?.nest ? route : null;
  });
  // Registered while the app is being created, so it is the first layer of the Express stack.
  app.use(middleware);
}

function observeFastify(instance: FastifyLikeInstance, analytics: Analytics, routes: RouteScope): void {
  // A root onResponse hook runs for every route Nest registers later, and for its 404 handler;
  // @SkipAnalytics() sets the route config's `analytics: false`, which covers requests a guard rejected.
  instance.addHook(
    'onResponse',
    recordingHook<NestFastifyRequest>(analytics, (req) => noted(req, routes)),
  );
}
