import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { type Refusal, refusalOf } from './address.js';

/** Turns a host name into the addresses to connect to. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** The operating system's resolver (`getaddrinfo`, /etc/hosts included), every address in its order. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Thrown before any connection when a target resolves to an address the guard refuses. */
export class BlockedTargetError extends Error {
  readonly code = 'APILENS_BLOCKED_TARGET';
  /** The refused address. */
  readonly address: string;
  constructor(hostname: string, address: string, refusal: Refusal) {
    const name = hostname === address ? address : `${hostname} (${address})`;
    super(
      `${name} is refused: ${refusal.reason}; ${
        refusal.allowable
          ? 'the operator can allow private targets (--monitor-allow-private)'
          : 'never allowed'
      }`,
    );
    this.name = 'BlockedTargetError';
    this.address = address;
  }
}

/** Options of {@link guardedAgent} and {@link vetHost}. */
export interface GuardOptions {
  /** Admit loopback, private, link-local and CGNAT addresses (never metadata). @default false */
  allowPrivate: boolean;
  /** How host names are resolved. @default {@link systemResolver} */
  resolve?: Resolver;
  /** Limit for connecting (TCP and TLS handshake). @default 10000 */
  connectTimeoutMs?: number;
  /** Extra trusted CA certificates (PEM), for targets behind an internal CA. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** The address in a URL's hostname: `[::1]` → `::1`; a name stays a name. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Resolves `hostname` (once) and checks every address. Resolves to the addresses to connect to,
 * or rejects with {@link BlockedTargetError} when any of them is refused: a name that resolves to
 * a public and a private address is refused as a whole, since which one gets used is not ours to
 * control. An IP literal is checked as is, without DNS.
 */
export async function vetHost(hostname: string, options: GuardOptions): Promise<string[]> {
  const host = bareHost(hostname);
  const addresses = isIP(host) ? [host] : await (options.resolve ?? systemResolver)(host);
  if (addresses.length === 0) {
    throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  }
  for (const address of addresses) {
    const refusal = refusalOf(address, options.allowPrivate);
    if (refusal) throw new BlockedTargetError(host, address, refusal);
  }
  return addresses;
}

/** Errors after which the next address of a name is worth trying. */
const NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * An undici connector that connects only to vetted addresses. The host name is resolved here,
 * once, and the socket is opened to the resulting IP itself, so the address checked is the
 * address connected to: a DNS answer that changes between check and connect (rebinding) has
 * nothing to change. TLS still verifies the certificate against the host name (SNI and
 * `checkServerIdentity` come from the request's Host).
 */
export function guardedConnector(options: GuardOptions, signal?: AbortSignal): buildConnector.connector {
  const connect = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  return (opts, callback) => {
    vetHost(opts.hostname, options).then(
      (addresses) => {
        // The attempt may have timed out while the name was being resolved.
        if (signal?.aborted) {
          callback(signal.reason instanceof Error ? signal.reason : new Error('aborted'), null);
          return;
        }
        const attempt = (i: number) => {
          connect({ ...opts, hostname: addresses[i]! }, (...args) => {
            const [err] = args;
            const code = (err as NodeJS.ErrnoException | null)?.code;
            if (err && code && NEXT_ADDRESS.has(code) && i + 1 < addresses.length) attempt(i + 1);
            else callback(...args);
          });
        };
        attempt(0);
      },
      (err: Error) => callback(err, null),
    );
  };
}

/**
 * An undici dispatcher for one probe or webhook delivery: every connection goes through
 * {@link guardedConnector}. Make one per attempt and destroy it afterwards: each attempt then
 * resolves the name anew and measures a fresh connection, and destroying it is what ends an
 * attempt that timed out (aborting the request alone lets undici open a stray connection).
 *
 * @example
 * const agent = guardedAgent({ allowPrivate: false });
 * try { await request('https://api.example.com/health', { dispatcher: agent }); }
 * finally { await agent.destroy(); }
 */
export function guardedAgent(options: GuardOptions, signal?: AbortSignal): Agent {
  return new Agent({ connect: guardedConnector(options, signal) });
}

/**
 * Runs `fn` with a fresh {@link guardedAgent} and a signal that aborts after `timeoutMs` (or
 * when `parent` aborts); the agent is destroyed when `fn` settles or the time is up.
 * `timedOut()` tells a timeout from other failures.
 */
export async function withGuardedAgent<T>(
  options: GuardOptions,
  timeoutMs: number,
  fn: (dispatcher: Agent, signal: AbortSignal, timedOut: () => boolean) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const agent = guardedAgent(options, controller.signal);
  let timedOut = false;
  const stop = () => {
    controller.abort();
    agent.destroy().catch(() => {});
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  parent?.addEventListener('abort', stop, { once: true });
  try {
    return await fn(agent, controller.signal, () => timedOut);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', stop);
    agent.destroy().catch(() => {});
  }
}

/** Why a monitor or webhook URL is refused, in words meant for the API caller. */
export class TargetUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUrlError';
  }
}

/** Longest URL accepted for a monitor or a webhook. */
export const MAX_URL_LENGTH = 2048;

/**
 * Checks a monitor or webhook URL when it is submitted: an absolute http(s) URL without
 * credentials (the monitoring page shows it to anyone with the dashboard id), and, for an IP
 * literal, an address the guard would allow. Host names are checked at each connection instead,
 * since their addresses can change. Returns the normalised URL without its fragment.
 *
 * @example
 * checkTargetUrl('https://api.example.com/health', 'url', false); // 'https://api.example.com/health'
 */
export function checkTargetUrl(value: unknown, field: string, allowPrivate: boolean): string {
  if (typeof value !== 'string' || value === '') {
    throw new TargetUrlError(`"${field}" must be an http:// or https:// URL`);
  }
  if (value.length > MAX_URL_LENGTH) {
    throw new TargetUrlError(`"${field}" is longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TargetUrlError(`"${field}" is not an absolute URL: ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetUrlError(`"${field}" must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username || url.password) {
    throw new TargetUrlError(
      `"${field}" must not contain a user name or password: the monitoring page shows the URL`,
    );
  }
  const host = bareHost(url.hostname);
  if (isIP(host)) {
    const refusal = refusalOf(host, allowPrivate);
    if (refusal)
      throw new TargetUrlError(`"${field}": ${new BlockedTargetError(host, host, refusal).message}`);
  }
  url.hash = '';
  return url.href;
}
