import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { NOTE, RECORD, SKIP, SKIP_ANALYTICS } from './constants.js';

// Handlers and classes never change their metadata after bootstrap: read it once.
const skipCache = new WeakMap<object, boolean>();

function skipped(handler: object, cls: object): boolean {
  let skip = skipCache.get(handler);
  if (skip === undefined) {
    skip =
      Reflect.getMetadata(SKIP_ANALYTICS, handler) === true ||
      Reflect.getMetadata(SKIP_ANALYTICS, cls) === true;
    skipCache.set(handler, skip);
  }
  return skip;
}

/**
 * Opts the controllers (or handlers) it decorates into recording when the module is imported
 * with `routes: 'marked'`: `@UseInterceptors(AnalyticsInterceptor)`. It only marks the request
 * (recorded, or skipped with `@SkipAnalytics()`); the record itself is made by the module once
 * the response has been sent, so it carries the status the client really got, also when a pipe
 * or an exception filter answered. It has no dependencies, so it works in any module.
 *
 * Not needed with the default `routes: 'all'`, which records every request without an
 * interceptor.
 */
@Injectable()
export class AnalyticsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.getArgByIndex(0) as Record<symbol, unknown> | undefined;
      if (req && req[NOTE] !== SKIP) {
        req[NOTE] = skipped(context.getHandler(), context.getClass()) ? SKIP : RECORD;
      }
    }
    return next.handle();
  }
}
