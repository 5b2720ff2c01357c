import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import {
  type MonitorOptions,
  type ResolvedMonitorOptions,
  resolveMonitorOptions,
} from './monitor/options.js';
import type { Store } from './types.js';

/** Defaults of every server option, in one place. */
export const DEFAULTS = {
  port: 8787,
  host: '127.0.0.1',
  db: './apilens.duckdb',
  maxBatchRows: 5000,
  maxBodyBytes: 16 * 1024 * 1024,
  rateLimitPerMinute: 1200,
  authFailuresPerMinute: 60,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxConnectionsPerAddress: 64,
  shutdownTimeoutMs: 10_000,
  maxExportsPerKey: 2,
  generatePerHour: 60,
  retentionMonths: 6,
  maxAgeMonths: 0,
  retentionIntervalMs: 24 * 60 * 60 * 1000,
  backupIntervalMs: 24 * 60 * 60 * 1000,
  backupKeep: 7,
  pageSize: 50_000,
  userAgentCacheSize: 10_000,
  dashboardCacheEntries: 64,
  /** last_used_at is rewritten at most this often per key. */
  touchIntervalMs: 60 * 60 * 1000,
} as const;

/**
 * Options of {@link buildServer}. Every field is optional. The monitoring options
 * ({@link MonitorOptions}: `maxMonitors`, `monitorMinIntervalSeconds`, `monitorAllowPrivate`, …)
 * are documented with their type.
 */
export interface ServerOptions extends MonitorOptions {
  /**
   * A store to use instead of opening one from `db`/`databaseUrl`. The server does not close a
   * store it was given.
   */
  store?: Store;
  /**
   * DuckDB file (created when missing), used when neither `store` nor `databaseUrl` is set. One
   * process at a time can open it. @default './apilens.duckdb'
   */
  db?: string;
  /** PostgreSQL URL (`postgres://user:pass@host:5432/db`); selects PostgreSQL over the DuckDB file. */
  databaseUrl?: string;
  /**
   * IP → country database (`.mmdb`, records with `country_code` or GeoIP2 `country.iso_code`).
   * `false` turns country lookup off.
   * @default the bundled @ip-location-db/geo-whois-asn-country-mmdb (CC0)
   */
  geoipDb?: string | false;
  /** Rows accepted in one batch; more is a 413. @default 5000 */
  maxBatchRows?: number;
  /** Largest request body in bytes, checked before and after gzip decompression; more is a 413. @default 16 MiB */
  maxBodyBytes?: number;
  /**
   * Requests per minute per API key and kind of endpoint (ingest — both paths —, data API,
   * dashboard, keys); `0` disables. @default 1200
   */
  rateLimitPerMinute?: number;
  /**
   * Requests with a missing or unknown API key (or dashboard id) per minute per client address;
   * past it the address gets 429s, except for keys that authenticated lately. `0` disables.
   * @default 60
   */
  authFailuresPerMinute?: number;
  /**
   * Time a client has to send a whole request, headers and body (a 408 after it): a client sending
   * part of a body cannot hold its socket. `0` disables. @default 30 s
   */
  requestTimeoutMs?: number;
  /** Time a client has to send the request headers; at most `requestTimeoutMs`. @default 10 s */
  headersTimeoutMs?: number;
  /**
   * Open connections per client address; more are closed at once. Behind a reverse proxy every
   * client has the proxy's address: raise it or `0` (off). @default 64
   */
  maxConnectionsPerAddress?: number;
  /**
   * On `close()`, time in-flight requests have to finish before every connection still open (a
   * client stalled mid-body, a slow export) is closed. @default 10 s
   */
  shutdownTimeoutMs?: number;
  /**
   * Whole exports (CSV or NDJSON of every matching row, data API and dashboard) streaming per key
   * at once; one more is a 429. `0` for no limit. @default 2
   */
  maxExportsPerKey?: number;
  /** Keys `POST /api/generate` creates per hour per client IP; `0` disables the endpoint. @default 60 */
  generatePerHour?: number;
  /** Keys with neither ingest nor read for this many months are deleted with their data; `0` disables. @default 6 */
  retentionMonths?: number;
  /**
   * Requests older than this many calendar months are deleted, in every key (keys in use
   * included); `0` keeps them. @default 0
   * @example maxAgeMonths: 13 // a year and the month before it, for year-on-year views
   */
  maxAgeMonths?: number;
  /** How often the retention job runs (in one process per database). @default 24 h */
  retentionIntervalMs?: number;
  /**
   * Folder for backups of the DuckDB file, taken while the collector runs (a consistent snapshot,
   * `<db name>-<UTC time>.duckdb`, written under a `.tmp` name until complete). Created at start
   * when missing. DuckDB only: with `databaseUrl` it is an error (use `pg_dump`).
   * @default undefined: no backups
   * @example backupDir: '/var/backups/apilens'
   */
  backupDir?: string;
  /** Time between scheduled backups; `0`: none scheduled, only on request (`SIGUSR2` with the CLI). @default 24 h */
  backupIntervalMs?: number;
  /** Backups kept in `backupDir`; the oldest are deleted after each new one. @default 7 */
  backupKeep?: number;
  /** Distinct user agent strings whose parse is cached. @default 10000 */
  userAgentCacheSize?: number;
  /**
   * Dashboard responses kept for repeated requests, each served only while its key has no new
   * data (stores that see every write: DuckDB); `0` turns the cache off. @default 64
   */
  dashboardCacheEntries?: number;
  /**
   * Fill the demo dashboard (`/dashboard/demo`) with two weeks of synthetic traffic at start, topped
   * up every minute and renewed daily. `apilens serve` turns it on (`--no-demo` turns it off).
   * @default false
   */
  demo?: boolean;
  /**
   * Folder of the built dashboard web app served at `/`, `/dashboard/…` and the other pages;
   * `false` serves no pages (API only).
   * @default the app bundled in the package (dist/public)
   */
  dashboardDir?: string | false;
  /**
   * Which proxies in front of the collector to believe about the client address
   * (`X-Forwarded-For`), used by the per-address limit of `POST /api/generate`: the proxies'
   * addresses or CIDR ranges (`'127.0.0.1'`, `['10.0.0.0/8']`; also `'loopback'`, `'linklocal'`,
   * `'uniquelocal'`), or `true` for every hop (only when nothing but the proxy can reach the
   * collector: a client can put anything in the header). No hop count: Fastify cannot check
   * that the connection comes from a proxy then, and ignores the header.
   * @default false: the address of the connection, which a client cannot forge
   * @example trustProxy: 'loopback' // Caddy or nginx on the same host
   */
  trustProxy?: boolean | string | readonly string[];
  /** Clock, epoch milliseconds; tests inject one. @default Date.now */
  now?: () => number;
  /** Fastify logger option (pino). @default false */
  logger?: FastifyServerOptions['logger'];
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  store: Store | undefined;
  db: string;
  databaseUrl: string | undefined;
  geoipDb: string | false | undefined;
  maxBatchRows: number;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxConnectionsPerAddress: number;
  shutdownTimeoutMs: number;
  maxExportsPerKey: number;
  generatePerHour: number;
  retentionMonths: number;
  maxAgeMonths: number;
  retentionIntervalMs: number;
  backupDir: string | undefined;
  backupIntervalMs: number;
  backupKeep: number;
  userAgentCacheSize: number;
  dashboardCacheEntries: number;
  dashboardDir: string | false | undefined;
  demo: boolean;
  trustProxy: boolean | string[];
  now: () => number;
  logger: FastifyServerOptions['logger'];
  monitor: ResolvedMonitorOptions;
}

function count(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(
      `@apilens/server: option "${name}" must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `@apilens/server: option "${name}" must be true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Validates options once at startup; a malformed option throws a TypeError naming it. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  if (options.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new TypeError('@apilens/server: option "databaseUrl" must start with postgres:// or postgresql://');
  }
  const dir = options.dashboardDir;
  if (
    dir !== undefined &&
    dir !== false &&
    (typeof dir !== 'string' || !existsSync(join(dir, 'index.html')))
  ) {
    throw new TypeError(
      `@apilens/server: option "dashboardDir" must be the folder of a built dashboard (with an index.html), or false to serve no pages; got ${JSON.stringify(dir)}`,
    );
  }
  if (
    options.backupDir !== undefined &&
    (typeof options.backupDir !== 'string' || options.backupDir === '')
  ) {
    throw new TypeError(
      `@apilens/server: option "backupDir" must be a folder path, got ${JSON.stringify(options.backupDir)}`,
    );
  }
  if (options.backupDir !== undefined && options.databaseUrl) {
    throw new TypeError(
      '@apilens/server: option "backupDir" (--backup-dir) backs up the DuckDB file, but the collector stores in PostgreSQL (databaseUrl); ' +
        'back PostgreSQL up with pg_dump (docs/self-hosting.md) and remove backupDir',
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('@apilens/server: option "now" must be a function returning epoch milliseconds');
  }
  return {
    store: options.store,
    db: options.db ?? DEFAULTS.db,
    databaseUrl: options.databaseUrl || undefined,
    geoipDb: options.geoipDb,
    maxBatchRows: count('maxBatchRows', options.maxBatchRows, DEFAULTS.maxBatchRows, 1),
    maxBodyBytes: count('maxBodyBytes', options.maxBodyBytes, DEFAULTS.maxBodyBytes, 1024),
    rateLimitPerMinute: count(
      'rateLimitPerMinute',
      options.rateLimitPerMinute,
      DEFAULTS.rateLimitPerMinute,
      0,
    ),
    authFailuresPerMinute: count(
      'authFailuresPerMinute',
      options.authFailuresPerMinute,
      DEFAULTS.authFailuresPerMinute,
      0,
    ),
    requestTimeoutMs: count('requestTimeoutMs', options.requestTimeoutMs, DEFAULTS.requestTimeoutMs, 0),
    headersTimeoutMs: count('headersTimeoutMs', options.headersTimeoutMs, DEFAULTS.headersTimeoutMs, 1),
    maxConnectionsPerAddress: count(
      'maxConnectionsPerAddress',
      options.maxConnectionsPerAddress,
      DEFAULTS.maxConnectionsPerAddress,
      0,
    ),
    shutdownTimeoutMs: count('shutdownTimeoutMs', options.shutdownTimeoutMs, DEFAULTS.shutdownTimeoutMs, 0),
    maxExportsPerKey: count('maxExportsPerKey', options.maxExportsPerKey, DEFAULTS.maxExportsPerKey, 0),
    generatePerHour: count('generatePerHour', options.generatePerHour, DEFAULTS.generatePerHour, 0),
    retentionMonths: count('retentionMonths', options.retentionMonths, DEFAULTS.retentionMonths, 0),
    maxAgeMonths: count('maxAgeMonths', options.maxAgeMonths, DEFAULTS.maxAgeMonths, 0),
    retentionIntervalMs: count(
      'retentionIntervalMs',
      options.retentionIntervalMs,
      DEFAULTS.retentionIntervalMs,
      1000,
    ),
    backupDir: options.backupDir,
    backupIntervalMs: backupInterval(options.backupIntervalMs),
    backupKeep: count('backupKeep', options.backupKeep, DEFAULTS.backupKeep, 1),
    userAgentCacheSize: count(
      'userAgentCacheSize',
      options.userAgentCacheSize,
      DEFAULTS.userAgentCacheSize,
      1,
    ),
    dashboardCacheEntries: count(
      'dashboardCacheEntries',
      options.dashboardCacheEntries,
      DEFAULTS.dashboardCacheEntries,
      0,
    ),
    dashboardDir: options.dashboardDir,
    demo: flag('demo', options.demo, false),
    trustProxy: trustedProxies(options.trustProxy),
    now: options.now ?? Date.now,
    logger: options.logger ?? false,
    monitor: resolveMonitorOptions(options),
  };
}

/** `backupIntervalMs`: 0 (none scheduled) or at least a second. */
function backupInterval(value: number | undefined): number {
  const ms = count('backupIntervalMs', value, DEFAULTS.backupIntervalMs, 0);
  if (ms > 0 && ms < 1000) {
    throw new TypeError(
      `@apilens/server: option "backupIntervalMs" must be 0 (no schedule) or at least 1000, got ${ms}`,
    );
  }
  return ms;
}

/** Names proxy-addr (Fastify's `trustProxy`) understands besides addresses and ranges. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IPv4 or IPv6 address, optionally with a CIDR prefix or an IPv4 netmask. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', range, ...more] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || more.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * Validates `trustProxy` (or, named by `label`, the `--trust-proxy` flag): `true`, `false`, or
 * proxies as a comma-separated string or a list.
 */
export function trustedProxies(
  value: ServerOptions['trustProxy'],
  label = 'option "trustProxy"',
): boolean | string[] {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  if (typeof value === 'string' || Array.isArray(value)) {
    const list = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => String(s).trim());
    const wrong = list.filter((entry) => !isProxyAddress(entry));
    if (wrong.length === 0) return list;
    throw new TypeError(
      `@apilens/server: ${label} lists ${wrong.map((w) => JSON.stringify(w)).join(', ')}, which is not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`,
    );
  }
  throw new TypeError(
    `@apilens/server: ${label} must be true, false, or the proxies' addresses / CIDR ranges, got ${JSON.stringify(value)}`,
  );
}
