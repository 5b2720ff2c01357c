import { defaultIpAddress, defaultIpAddressFrom, type RequestAccessors } from '@apilens/core';
import type { Context } from 'hono';
import type { NodeBindings, NodeIncoming, NodeOutgoing } from './internal-types.js';

/** The raw Node request when the app runs on @hono/node-server (it passes `{ incoming, outgoing }` as `c.env`). */
export function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  return incoming !== undefined && typeof incoming.headers === 'object' ? incoming : undefined;
}

/** The raw Node response on @hono/node-server, else `undefined` (edge runtimes, Bun, Deno, `app.request()`). */
export function nodeOutgoing(c: Context): NodeOutgoing | undefined {
  const outgoing = (c.env as NodeBindings | undefined)?.outgoing;
  return outgoing !== undefined && typeof outgoing.on === 'function' ? outgoing : undefined;
}

function header(c: Context, name: string): string | string[] | undefined {
  const incoming = nodeIncoming(c);
  // Node's header map is already parsed; building a WHATWG Headers from it is not free.
  return incoming !== undefined ? incoming.headers[name] : c.req.header(name);
}

/** Default field readers. Raw values: the core strips the query string and splits x-forwarded-for later. */
export const ACCESSORS: RequestAccessors<Context> = {
  path: (c) => c.req.path,
  hostname: (c) => header(c, 'host') as string | undefined,
  ipAddress: (c) => {
    const incoming = nodeIncoming(c);
    return incoming !== undefined
      ? defaultIpAddress(incoming.headers, incoming.socket?.remoteAddress)
      : defaultIpAddressFrom((name) => c.req.header(name), undefined);
  },
  userAgent: (c) => header(c, 'user-agent') as string | undefined,
};

/**
 * Route template of the request: the path of the route that ran last (Hono's
 * `routePath`: the handler that answered, or the middleware that answered
 * early, e.g. `/admin/*`). `null` when no handler matched: the chain ran past
 * its last `app.use` middleware into the not-found handler.
 */
export function routeOf(c: Context, status: number): string | null {
  const index = c.req.routeIndex;
  const routes = c.req.matchedRoutes;
  const route = routes[index];
  if (route === undefined) return null;
  if (status === 404 && route.method === 'ALL' && index === routes.length - 1) return null;
  return route.path;
}

/**
 * Passes the body through unchanged and calls `onEnd(true)` after its last
 * chunk was read (i.e. handed to the client), `onEnd(false)` when the client
 * cancelled it or it failed.
 */
export function timedBody(
  body: ReadableStream<Uint8Array>,
  onEnd: (completed: boolean) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        onEnd(false);
        throw err;
      }
      if (chunk.done) {
        controller.close();
        onEnd(true);
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      onEnd(false);
      return reader.cancel(reason);
    },
  });
}

/** `c.executionCtx.waitUntil(promise)` where the runtime has one (Workers, Vercel Edge, Netlify); the getter throws elsewhere. */
export function waitUntil(c: Context, promise: Promise<unknown>): void {
  let ctx: { waitUntil(promise: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    // No execution context (Node.js, Bun, Deno): the interval timer and beforeExit deliver.
    return;
  }
  ctx.waitUntil(promise);
}
