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
