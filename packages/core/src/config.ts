import type { ExcludeRules, Exhaustive, MapperName, OptionName, ResolvedConfig } from './internal-types.js';
import { runtime } from './runtime.js';
import type { Compression, Options, PrivacyLevel, TransportKind } from './types.js';
import { COLUMNS_PATH } from './wire-columns.js';

/** Defaults of every option, in one place. */
export const DEFAULTS = {
  privacyLevel: 0 as PrivacyLevel,
  serverUrl: 'http://localhost:8787',
  flushIntervalMs: 10_000,
  // One POST per 5 000 records: the compact format keeps that body small (a few kB to a few
  // hundred), and each POST costs the host process a fixed ~0.5 ms of CPU (docs/benchmarks.md).
  // The collector's default limit is 5 000 rows per batch; rows go in POSTs of 1 000 (sender.ts).
  maxBatchSize: 5_000,
  maxQueueSize: 10_000,
  compression: 'gzip' as Compression,
  timeoutMs: 10_000,
  maxRetries: 5,
  transport: 'auto' as TransportKind,
} as const;

/** The path the SDK posts batches to, relative to `serverUrl`. */
export const INGEST_PATH = '/api/log-request';

/**
 * SDK configuration, field-compatible with the upstream API Analytics `Config`:
 * create it, set fields, pass it to the adapter. A plain object works too. Its
 * fields are those of {@link Options} (declared once, there).
 *
 * @example
 * const config = new Config();
 * config.privacyLevel = 2;
 * config.getUserID = (req) => req.headers['x-user-id'];
 * app.use(expressAnalytics(process.env.APILENS_API_KEY, config));
 */
// Config's fields are the optional fields of Options, set by the constructor (or by the user
// afterwards, upstream style): merging the interface into the class spares listing them again.
export interface Config<Req = any> extends Options<Req> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged fields are all optional and set by Object.assign.
export class Config<Req = any> {
  constructor(options: Options<Req> = {}) {
    Object.assign(this, options);
  }
}

/** Every option name `Config` accepts; anything else is rejected as a typo. */
export const OPTION_NAMES = listing<OptionName>()([
  'privacyLevel',
  'serverUrl',
  'getPath',
  'getHostname',
  'getIPAddress',
  'getUserAgent',
  'getUserID',
  'exclude',
  'flushIntervalMs',
  'maxBatchSize',
  'maxQueueSize',
  'compression',
  'onError',
  'timeoutMs',
  'maxRetries',
  'transport',
]);
const KNOWN_KEYS = new Set<string>(OPTION_NAMES);

/** The mapper options, validated alike. */
const MAPPERS = listing<MapperName>()([
  'getPath',
  'getHostname',
  'getIPAddress',
  'getUserAgent',
  'getUserID',
]);

/**
 * The identity at runtime. At compile time the list must name every member of `U`
 * and nothing else: an option added to {@link Options} and forgotten in a list
 * above is an error naming it.
 */
function listing<U>() {
  return <const L extends readonly U[]>(list: L & Exhaustive<U, L>): L => list;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function invalid(pkg: string, field: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${pkg}: invalid config.${field}: expected ${expected}, got ${describe(value)}.`);
}

function int(
  pkg: string,
  o: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  def: number,
): number {
  const v = o[field];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(pkg, field, `an integer from ${min} to ${max}`, v);
  }
  return v;
}

function envServerUrl(pkg: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  let url: string | undefined;
  try {
    url = env?.APILENS_SERVER_URL;
  } catch (err) {
    // Deno without --allow-env throws on the read: say which package wants it and the two fixes.
    throw new TypeError(
      `${pkg}: could not read the APILENS_SERVER_URL environment variable (${err instanceof Error ? err.message : String(err)}). Allow it (Deno: --allow-env=APILENS_SERVER_URL) or pass config.serverUrl.`,
    );
  }
  return url === undefined || url === '' ? undefined : url;
}

/**
 * Validates options once, at construction, and fills in defaults. A wrong type or
 * an out-of-range value throws a TypeError naming the package, the field and what
 * is allowed: a misconfigured SDK should fail at startup, not silently later.
 */
export function resolveConfig<Req>(input: unknown, pkg: string): ResolvedConfig<Req> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError(
      `${pkg}: config must be a Config instance or an options object, got ${describe(input)}.`,
    );
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key) && o[key] !== undefined) {
      const lower = key.toLowerCase();
      const close = [...KNOWN_KEYS].find((k) => k.toLowerCase() === lower);
      throw new TypeError(
        `${pkg}: unknown config.${key}${close ? ` (did you mean ${close}?)` : ''}. Known options: ${[...KNOWN_KEYS].join(', ')}.`,
      );
    }
  }

  const privacyLevel = o.privacyLevel ?? DEFAULTS.privacyLevel;
  if (privacyLevel !== 0 && privacyLevel !== 1 && privacyLevel !== 2) {
    throw invalid(pkg, 'privacyLevel', '0, 1 or 2', privacyLevel);
  }

  const rawUrl = o.serverUrl ?? envServerUrl(pkg) ?? DEFAULTS.serverUrl;
  let url: URL;
  try {
    if (typeof rawUrl !== 'string') throw new Error('not a string');
    url = new URL(rawUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw invalid(pkg, 'serverUrl', 'an http:// or https:// URL such as http://localhost:8787', rawUrl);
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;

  for (const name of MAPPERS) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw invalid(pkg, name, 'a function (req) => value', o[name]);
    }
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw invalid(pkg, 'onError', 'a function (error) => void', o.onError);
  }

  const exclude = resolveExclude<Req>(pkg, o.exclude);

  const compression = o.compression ?? DEFAULTS.compression;
  if (compression !== 'gzip' && compression !== 'none') {
    throw invalid(pkg, 'compression', "'gzip' or 'none'", compression);
  }
  const transport = (o.transport ?? DEFAULTS.transport) as TransportKind;
  if (!runtime.transports.includes(transport)) {
    // The web build (edge export conditions) has no undici to offer: say which build this is.
    const allowed = runtime.transports.map((t) => `'${t}'`);
    const build = runtime.build === 'web' ? ' in the web build of @apilens/core (no undici)' : '';
    throw invalid(
      pkg,
      'transport',
      `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}${build}`,
      transport,
    );
  }

  const maxBatchSize = int(pkg, o, 'maxBatchSize', 1, 100_000, DEFAULTS.maxBatchSize);
  const maxQueueSize = int(pkg, o, 'maxQueueSize', 1, 10_000_000, DEFAULTS.maxQueueSize);
  if (maxQueueSize < maxBatchSize) {
    throw new TypeError(
      `${pkg}: invalid config.maxQueueSize: it must be at least maxBatchSize (${maxBatchSize}), got ${maxQueueSize}.`,
    );
  }

  return {
    privacyLevel,
    endpoint: base + INGEST_PATH,
    columnsEndpoint: base + COLUMNS_PATH,
    getPath: o.getPath as ResolvedConfig<Req>['getPath'],
    getHostname: o.getHostname as ResolvedConfig<Req>['getHostname'],
    getIPAddress: o.getIPAddress as ResolvedConfig<Req>['getIPAddress'],
    getUserAgent: o.getUserAgent as ResolvedConfig<Req>['getUserAgent'],
    getUserID: o.getUserID as ResolvedConfig<Req>['getUserID'],
    exclude,
    flushIntervalMs: int(pkg, o, 'flushIntervalMs', 10, 86_400_000, DEFAULTS.flushIntervalMs),
    maxBatchSize,
    maxQueueSize,
    compression,
    onError: o.onError as ResolvedConfig<Req>['onError'],
    timeoutMs: int(pkg, o, 'timeoutMs', 1, 600_000, DEFAULTS.timeoutMs),
    maxRetries: int(pkg, o, 'maxRetries', 0, 100, DEFAULTS.maxRetries),
    transport,
  };
}

const EXCLUDE_EXPECTED = 'an array of strings and RegExps, or a function (path, req) => boolean';

function resolveExclude<Req>(pkg: string, exclude: unknown): ExcludeRules<Req> {
  const rules = { exact: new Set<string>(), patterns: [] as RegExp[], predicate: undefined };
  if (exclude === undefined) return rules;
  if (typeof exclude === 'function') {
    return { ...rules, predicate: exclude as ExcludeRules<Req>['predicate'] };
  }
  if (!Array.isArray(exclude)) throw invalid(pkg, 'exclude', EXCLUDE_EXPECTED, exclude);
  for (const rule of exclude) {
    if (typeof rule === 'string') rules.exact.add(rule);
    else if (rule instanceof RegExp) rules.patterns.push(rule);
    else throw invalid(pkg, 'exclude', EXCLUDE_EXPECTED, rule);
  }
  return rules;
}
