import { type Analytics, nodeAccessors, type RequestAccessors } from '@apilens/core';
import { NOTE, OBSERVED, RECORD, SKIP, SKIP_ANALYTICS, STARTED } from './constants.js';
import type {
  ExpressLikeRequest,
  ExpressLikeResponse,
  FastifyLikeReply,
  FastifyLikeRequest,
  ResolvedModuleOptions,
} from './internal-types.js';

/** Which requests to record: all but skipped ones, or only those an interceptor marked. */
export type Scope = ResolvedModuleOptions['scope'];

/** Hooks the platform's own "response sent" event; returns false when the platform is unknown. */
export function observe(type: string, instance: unknown, analytics: Analytics, scope: Scope): boolean {
  if (instance === null || (typeof instance !== 'object' && typeof instance !== 'function')) return false;
  const target = instance as Record<symbol, unknown>;
  if (target[OBSERVED]) {
    throw new Error(
      '@apilens/nestjs: AnalyticsModule.forRoot()/forRootAsync() is imported more than once in this app, which would record every request twice. Import it once, in the root module (it is global).',
    );
  }
  if (type === 'express' || type === 'fastify') target[OBSERVED] = true;
  if (type === 'express') {
    observeExpress(instance as ExpressLikeApp, analytics, scope);
    return true;
  }
  if (type === 'fastify') {
    observeFastify(instance as FastifyLikeInstance, analytics, scope);
    return true;
  }
  return false;
}

interface ExpressLikeApp {
  use(fn: (req: ExpressLikeRequest, res: ExpressLikeResponse, next: () => void) => void): unknown;
}

interface FastifyLikeInstance {
  addHook(
    name: 'onResponse',
    fn: (req: FastifyLikeRequest, reply: FastifyLikeReply, done: () => void) => void,
  ): unknown;
}

// What a request's Express route says, worked out once per route.
interface RouteInfo {
  template: string | null;
  skip: boolean;
}
const routeInfos = new WeakMap<object, RouteInfo>();
// Nest's @Get()/@Post()… metadata key; Nest copies a handler's own metadata (this one, and
// @SkipAnalytics()) onto the function it registers with Express.
const NEST_METHOD_METADATA = 'method';

function expressRouteInfo(route: NonNullable<ExpressLikeRequest['route']>): RouteInfo {
  let info = routeInfos.get(route);
  if (info === undefined) {
    let nest = false;
    let skip = false;
    for (const layer of route.stack ?? []) {
      const handle = layer.handle;
      if (!handle) continue;
      if (Reflect.hasMetadata(NEST_METHOD_METADATA, handle)) nest = true;
      if (Reflect.getMetadata(SKIP_ANALYTICS, handle) === true) skip = true;
    }
    // Nest's own 404 handler is a catch-all route ('*path'): no template for unmatched requests.
    info = { template: nest && typeof route.path === 'string' ? route.path : null, skip };
    routeInfos.set(route, info);
  }
  return info;
}

function observeExpress(app: ExpressLikeApp, analytics: Analytics, scope: Scope): void {
  const record = analytics.createRecorder<ExpressLikeRequest>(accessors((req) => req.originalUrl ?? req.url));
  // 'finish' fires once the whole response has been handed to the OS, whoever wrote it: the
  // handler, a guard's 403, a pipe's 400, an exception filter or Nest's 404 handler. One shared
  // listener (no closure per request): the response knows its request.
  function onFinish(this: ExpressLikeResponse): void {
    const req = this.req;
    const note = req[NOTE];
    if (note === SKIP || (scope === 'marked' && note !== RECORD)) return;
    const route = req.route;
    const info = route === undefined ? undefined : expressRouteInfo(route);
    // A request rejected by a guard never reached the interceptor: the route's metadata tells.
    if (info?.skip && note === undefined) return;
    record(
      req,
      req.method,
      this.statusCode,
      info?.template ?? null,
      performance.now() - (req[STARTED] as number),
    );
  }
  // Registered while the app is being created, so it is the first layer of the Express stack.
  app.use(function apilensObserver(req, res, next) {
    req[STARTED] = performance.now();
    res.on('finish', onFinish);
    next();
  });
}

function observeFastify(instance: FastifyLikeInstance, analytics: Analytics, scope: Scope): void {
  const record = analytics.createRecorder<FastifyLikeRequest>(accessors((req) => req.url));
  // A root onResponse hook runs for every route Nest registers later, and for its 404 handler.
  instance.addHook('onResponse', function apilensOnResponse(req, reply, done) {
    const note = req[NOTE];
    const options = req.routeOptions;
    if (
      note !== SKIP &&
      (scope === 'all' || note === RECORD) &&
      // Set by @SkipAnalytics() through the route config: covers requests a guard rejected.
      options?.config?.analytics !== false
    ) {
      record(req, req.method, reply.statusCode, options?.url ?? null, reply.elapsedTime);
    }
    done();
  });
}

/** Default accessors; both platforms expose Node.js header maps and the socket. */
function accessors<Req extends ExpressLikeRequest | FastifyLikeRequest>(
  path: (req: Req) => string,
): RequestAccessors<Req> {
  return nodeAccessors<Req>((req) => req, path);
}
