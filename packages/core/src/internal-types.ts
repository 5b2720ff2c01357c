import type { Transport } from './transport.js';
import type { Options, TransportKind } from './types.js';

/** Every option name. */
export type OptionName = keyof Options;

/** The options that read a field of the request: `getPath`, `getHostname`, … */
export type MapperName = Extract<OptionName, `get${string}`>;

/** Options that are the user's functions, kept as given (or `undefined`). */
type CallbackName = MapperName | 'onError';

/** Options resolved into something else: `serverUrl` into the endpoints, `exclude` into rules. */
type TransformedName = 'serverUrl' | 'exclude';

/** `exclude` split by kind, so the common cases need no user code. */
export interface ExcludeRules<Req = any> {
  /** Exact paths or route templates; empty when none. */
  exact: ReadonlySet<string>;
  patterns: readonly RegExp[];
  predicate: ((path: string, req: Req) => boolean) | undefined;
}

/**
 * Options after validation and defaults, every field present. Derived from
 * {@link Options}: an option added there is a compile error in `resolveConfig`
 * until it is resolved. Never exported.
 */
export type ResolvedConfig<Req = any> = {
  [K in Exclude<OptionName, CallbackName | TransformedName>]: NonNullable<Options<Req>[K]>;
} & {
  [K in CallbackName]: Options<Req>[K] | undefined;
} & {
  /** Full ingest endpoint of the upstream row format, e.g. http://localhost:8787/api/log-request */
  endpoint: string;
  /** Full endpoint of the compact format, e.g. http://localhost:8787/api/log-columns */
  columnsEndpoint: string;
  exclude: ExcludeRules<Req>;
};

/**
 * `unknown` when `List` names every member of `Union`; otherwise `{ missing: … }`
 * naming the rest, so that a list typed `List & Exhaustive<Union, List>` fails to
 * compile with a message that says what it lacks.
 */
export type Exhaustive<Union, List extends readonly unknown[]> = [Exclude<Union, List[number]>] extends [
  never,
]
  ? unknown
  : { missing: Exclude<Union, List[number]> };

/**
 * What the core takes from the runtime it runs on: one per build, `runtime.ts` (Node.js) and
 * `runtime-web.ts` (the web build the edge export conditions select).
 */
export interface Runtime {
  /** `node`: undici and node:zlib. `web`: fetch and CompressionStream. */
  readonly build: 'node' | 'web';
  /** The `transport` option values this build accepts. */
  readonly transports: readonly TransportKind[];
  /** The HTTP client for `kind`, created on the first delivery. */
  createTransport(kind: TransportKind, endpoint: string, timeoutMs: number): Promise<Transport>;
  /** gzip-compresses a batch body. */
  gzip(body: string): Promise<Uint8Array>;
}
