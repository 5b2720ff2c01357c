/** Privacy level of the records an SDK sends; see the package README. */
export type PrivacyLevel = 0 | 1 | 2;

/** Request body encoding used to ship batches to the collector. */
export type Compression = 'gzip' | 'none';

/** Which HTTP client ships batches: undici on Node.js, `fetch` on edge runtimes. */
export type TransportKind = 'auto' | 'undici' | 'fetch';

/**
 * Requests not to record: exact paths or route templates (strings), patterns tested
 * against the path (RegExp), or a predicate given the path (without query string)
 * and the framework's request.
 */
export type ExcludeOption<Req = any> = ReadonlyArray<string | RegExp> | ((path: string, req: Req) => boolean);

/**
 * SDK options. Every field is optional; pass a {@link Config} instance or a plain
 * object literal of this shape. `Req` is the framework's request (or context) type,
 * which the mapper functions receive.
 *
 * This interface is the one list of options: `Config`'s fields, the option names
 * checked at runtime and the resolved configuration are derived from it (or fail to
 * compile when one is forgotten), so adding an option starts here.
 */
export interface Options<Req = any> {
  /**
   * 0: client IP sent and stored, country inferred. 1: IP sent so the collector can
   * infer the country, then discarded. 2: IP never read by the SDK, no country.
   * @default 0
   */
  privacyLevel?: PrivacyLevel;
  /**
   * Collector base URL.
   * @default process.env.APILENS_SERVER_URL ?? 'http://localhost:8787'
   */
  serverUrl?: string;
  /** Path to record (query string is removed). @default the framework's request path */
  getPath?: (req: Req) => string;
  /** Hostname to record. @default the `Host` header */
  getHostname?: (req: Req) => string | null | undefined;
  /**
   * Client IP to record. Never called at privacy level 2.
   * @default `cf-connecting-ip`, then the first `x-forwarded-for` entry, then `x-real-ip`, then the socket address
   */
  getIPAddress?: (req: Req) => string | null | undefined;
  /** User agent to record. @default the `User-Agent` header */
  getUserAgent?: (req: Req) => string | null | undefined;
  /** User id to record, e.g. from your auth middleware. @default none */
  getUserID?: (req: Req) => string | number | null | undefined;
  /** Requests that are not recorded. @default none */
  exclude?: ExcludeOption<Req>;
  /** How often queued records are sent, in milliseconds. @default 10000 */
  flushIntervalMs?: number;
  /**
   * A batch is sent as soon as this many records are queued: in one POST in the compact
   * format (apilens collectors), in POSTs of at most 1 000 rows in the upstream row format.
   * @default 5000
   */
  maxBatchSize?: number;
  /**
   * Records held while the collector is unreachable; beyond it the oldest are
   * dropped and counted in `stats().dropped`.
   * @default 10000
   */
  maxQueueSize?: number;
  /** Request body encoding. @default 'gzip' */
  compression?: Compression;
  /**
   * Receives transport, collector and mapper errors. Mapper errors are reported at
   * most once a minute per field. A throwing handler is ignored.
   * @default a console warning, at most one a minute
   */
  onError?: (error: ApilensError) => void;
  /** Timeout of one delivery attempt (connect, headers, body), in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Further attempts for a batch after a network error, timeout, 429 or 5xx. @default 5 */
  maxRetries?: number;
  /** HTTP client. @default 'auto' (undici where it loads, else global fetch) */
  transport?: TransportKind;
}

/**
 * Who reports: the framework name sent with every batch and the package named in
 * messages. An adapter passes its own; code using the core directly may pass just a
 * framework name, and messages then name `@apilens/core`.
 *
 * @example
 * new Analytics(apiKey, { framework: 'Express', packageName: '@apilens/express' }, config);
 */
export interface AdapterIdentity {
  /** Framework name sent to the collector, e.g. `Express`. */
  framework: string;
  /** npm package the user installed, named in errors and warnings, e.g. `@apilens/express`. */
  packageName: string;
}

/** One request, as an adapter (or your own code) hands it to {@link Analytics.record}. */
export interface RequestRecord {
  /** HTTP method, upper case. */
  method: string;
  /** Request path; anything from `?` on is removed before sending. */
  path: string;
  /** Route template such as `/users/:id`; `null` when no route matched. */
  route?: string | null;
  /** Status code the client received. */
  status: number;
  /** Time from request start until the response finished, in milliseconds. */
  responseTimeMs: number;
  hostname?: string | null;
  /** Ignored at privacy level 2. */
  ipAddress?: string | null;
  userAgent?: string | null;
  userId?: string | number | null;
  /** When the request started (epoch milliseconds or a Date). @default now minus responseTimeMs */
  createdAt?: number | Date;
}

/** Counters returned by {@link Analytics.stats}. */
export interface AnalyticsStats {
  /** Records waiting to be sent. */
  queued: number;
  /** Records in the batch being delivered right now. */
  inFlight: number;
  /** Records the collector accepted. */
  sent: number;
  /** Records the collector answered as invalid (listed in its `rejected`). */
  rejected: number;
  /** Records lost: queue overflow, a batch that kept failing, or recorded after shutdown. */
  dropped: number;
  /** Delivery attempts that were repeated. */
  retries: number;
  /** Batches given up on. */
  failedBatches: number;
}

/** What kind of problem an {@link ApilensError} reports. */
export type ApilensErrorCode =
  | 'mapper' // a mapper threw or returned a wrong type
  | 'exclude' // the exclude predicate threw
  | 'network' // connection refused, reset, DNS, timeout
  | 'http' // the collector answered with an error status
  | 'dropped' // records were dropped (queue overflow or a batch given up on)
  | 'rejected' // the collector refused some records of a batch as invalid
  | 'encode' // a batch could not be serialised
  | 'internal'; // a bug in apilens itself; the request is unaffected

/** Error handed to `onError`. Never thrown into your code. */
export class ApilensError extends Error {
  override readonly name = 'ApilensError';
  /** What kind of problem this is. */
  readonly code: ApilensErrorCode;
  /** The collector's HTTP status, for `http` errors. */
  readonly status?: number;
  /** The mapper or option concerned, for `mapper` errors. */
  readonly field?: string;
  /** Records concerned, when known. */
  readonly records?: number;

  constructor(
    code: ApilensErrorCode,
    message: string,
    details: { status?: number; field?: string; records?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.field !== undefined) this.field = details.field;
    if (details.records !== undefined) this.records = details.records;
  }
}

/**
 * How an adapter reads its framework's request by default; the user's mappers
 * (getPath, getHostname, …) override these.
 */
export interface RequestAccessors<Req> {
  /** Path, query string allowed (the core strips it off the hot path). */
  path(req: Req): string;
  hostname(req: Req): string | null | undefined;
  /** Raw client address: a header value (possibly a list) or the socket address. */
  ipAddress(req: Req): string | null | undefined;
  userAgent(req: Req): string | null | undefined;
}

/**
 * Records one finished request. Created once per adapter by
 * {@link Analytics.createRecorder}; cheap enough to call on every request.
 * `finishedAt` is the `performance.now()` reading the response time was measured with, when
 * the caller has one: the recorder then dates the request from it instead of reading the
 * wall clock again.
 */
export type Recorder<Req> = (
  req: Req,
  method: string,
  status: number,
  route: string | null | undefined,
  responseTimeMs: number,
  finishedAt?: number,
) => void;

/** One request as sent on the wire to POST /api/log-request (compatible with upstream API Analytics). */
export interface WireRequest {
  hostname: string | null;
  ip_address: string | null;
  path: string;
  user_agent: string | null;
  method: string;
  status: number;
  response_time: number;
  user_id: string | null;
  created_at: string;
  route: string | null;
}

/** Body of POST /api/log-request: one batch. */
export interface WirePayload {
  api_key: string;
  framework: string;
  privacy_level: PrivacyLevel;
  requests: WireRequest[];
}
