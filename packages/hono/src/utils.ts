import {
  defaultIpAddress,
  defaultIpAddressFrom,
  type NodeRequestLike,
  type RequestAccessors,
} from '@apilens/core';
import type { Context } from 'hono';
import type { RouterRoute } from 'hono/types';
import type { NodeBindings, NodeOutgoing } from './internal-types.js';

/** The raw Node request when the app runs on @hono/node-server (it passes `{ incoming, outgoing }` as `c.env`). */
export function nodeIncoming(c: Context): NodeRequestLike | undefined {
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

type MatchedRoutes = (c: Context) => RouterRoute[];

/** Before Hono 4.8 the only way to the matched routes; deprecated since in favour of `hono/route`. */
const fromRequest: MatchedRoutes = (c) => c.req.matchedRoutes;
let matchedRoutes: MatchedRoutes = fromRequest;
let helperLoad: Promise<void> | undefined;

/**
 * Reads matched routes through `hono/route` from now on where the installed Hono has
 * it (4.8 and later); older 4.x keep `c.req.matchedRoutes`. Loaded once, when the
 * first middleware is created, by a dynamic import: a static one would fail to
 * resolve on Hono < 4.8, and bundlers leave a dynamic import that may fail alone.
 * Requests answered before it has loaded use `c.req.matchedRoutes`, which gives the
 * same routes.
 */
export function loadRouteHelper(): Promise<void> {
  helperLoad ??= import('hono/route').then(
    (helper: { matchedRoutes?: unknown }) => {
      if (typeof helper.matchedRoutes === 'function') matchedRoutes = helper.matchedRoutes as MatchedRoutes;
    },
    () => {
      // Hono before 4.8: no hono/route.
    },
  );
  return helperLoad;
}

/** Which way the routes are read now, for tests. */
export function routeSource(): 'hono/route' | 'c.req.matchedRoutes' {
  return matchedRoutes === fromRequest ? 'c.req.matchedRoutes' : 'hono/route';
}

function routesOf(c: Context): RouterRoute[] {
  try {
    return matchedRoutes(c);
  } catch {
    // A second copy of Hono (its ESM and CJS builds both loaded) keys the match result with a
    // symbol of its own, and the helper throws on the other copy's requests: back to the request.
    matchedRoutes = fromRequest;
    return fromRequest(c);
  }
}

/**
 * Route template of the request: the path of the route that ran last (Hono's
 * `routePath`: the handler that answered, or the middleware that answered
 * early, e.g. `/admin/*`). `null` when no handler matched: the chain ran past
 * its last `app.use` middleware into the not-found handler.
 */
export function routeOf(c: Context, status: number): string | null {
  const index = c.req.routeIndex;
  const routes = routesOf(c);
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

/** What Hono's `c.executionCtx` gives that the adapter uses. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * `c.executionCtx` where the runtime passes one (Cloudflare Workers, Vercel Edge, Netlify),
 * else `undefined`: Hono's getter throws when there is none (Node.js, Bun, Deno, `app.request()`).
 */
export function executionContext(c: Context): WaitUntil | undefined {
  try {
    const ctx = c.executionCtx as Partial<WaitUntil> | undefined;
    return typeof ctx?.waitUntil === 'function' ? (ctx as WaitUntil) : undefined;
  } catch {
    return undefined;
  }
}
