import { FASTIFY_ROUTE_CONFIG, SKIP_ANALYTICS } from './constants.js';

function skipHandler(handler: object): void {
  Reflect.defineMetadata(SKIP_ANALYTICS, true, handler);
  // On @nestjs/platform-fastify this becomes the route's `config`, so the platform hook can skip
  // the route even when a guard rejects the request before any interceptor runs.
  const routeConfig = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG, handler) as object | undefined;
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG, { ...routeConfig, analytics: false }, handler);
}

/**
 * Leaves a controller (every route of it) or a single handler out of apilens analytics,
 * including requests rejected by a guard or answered by an exception filter.
 *
 * @example
 * @SkipAnalytics()
 * @Controller('health')
 * export class HealthController { … }
 *
 * @example
 * @Get('metrics')
 * @SkipAnalytics()
 * metrics() { … }
 */
export function SkipAnalytics(): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor !== undefined) {
      if (typeof descriptor.value === 'function') skipHandler(descriptor.value);
      return;
    }
    Reflect.defineMetadata(SKIP_ANALYTICS, true, target);
    // Nest copies a handler's own metadata onto the route it registers with the platform; class
    // metadata is not copied, so mark every method too. Class decorators run after method
    // decorators, so this merges with an @RouteConfig() already applied to a method.
    const proto = (target as { prototype?: object }).prototype;
    if (!proto) return;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (typeof value === 'function') skipHandler(value);
    }
  };
}
