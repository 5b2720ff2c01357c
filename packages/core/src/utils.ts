import type { RequestAccessors } from './types.js';

/** Node.js style header map (IncomingHttpHeaders). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** A header value as one string: the first of a repeated header, `undefined` when absent or empty. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  const v = typeof value === 'string' ? value : value?.[0];
  return v === '' ? undefined : v;
}

/**
 * Default client address for Node.js request objects: `cf-connecting-ip`, then
 * `x-forwarded-for` (the whole list: the core keeps its first entry at flush time),
 * then `x-real-ip`, then the socket address. Headers are client-controlled; put
 * apilens behind a proxy that sets them, or pass your own `getIPAddress`.
 */
export function defaultIpAddress(headers: HeaderMap, socketAddress: string | undefined): string | undefined {
  return (
    firstHeader(headers['cf-connecting-ip']) ??
    firstHeader(headers['x-forwarded-for']) ??
    firstHeader(headers['x-real-ip']) ??
    socketAddress
  );
}

/** The same order for a WHATWG `Headers`-like getter (Hono, edge runtimes). */
export function defaultIpAddressFrom(
  get: (name: string) => string | null | undefined,
  fallback: string | undefined,
): string | undefined {
  return get('cf-connecting-ip') || get('x-forwarded-for') || get('x-real-ip') || fallback;
}

/** The part of a Node.js `IncomingMessage` the default accessors read. */
export interface NodeRequestLike {
  headers: HeaderMap;
  socket?: { remoteAddress?: string | undefined } | null;
}

/**
 * Default accessors for frameworks built on Node's `http` module (Express, Koa,
 * Fastify, NestJS, Hono on @hono/node-server): hostname from `Host`, user agent
 * from `User-Agent`, client IP in the order of {@link defaultIpAddress}.
 *
 * @param incoming reads the Node request out of the framework's request or context
 * @param path reads the path (query string allowed: the core strips it at flush time)
 * @example
 * const accessors = nodeAccessors<Context>((ctx) => ctx.req, (ctx) => ctx.originalUrl);
 */
export function nodeAccessors<Req>(
  incoming: (req: Req) => NodeRequestLike,
  path: (req: Req) => string,
): RequestAccessors<Req> {
  return {
    path,
    hostname: (req) => firstHeader(incoming(req).headers.host),
    ipAddress: (req) => {
      const r = incoming(req);
      return defaultIpAddress(r.headers, r.socket?.remoteAddress ?? undefined);
    },
    userAgent: (req) => firstHeader(incoming(req).headers['user-agent']),
  };
}
