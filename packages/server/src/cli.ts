#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildServer } from './app.js';
import { hashApiKey, normaliseApiKey } from './keys.js';
import { MONITOR_DEFAULTS } from './monitor/options.js';
import { DEFAULTS, type ServerOptions, trustedProxies } from './options.js';
import { createApiKey } from './routes/keys.js';
import { openStore } from './store/index.js';
import { SERVER_VERSION } from './version.js';

const HELP = `apilens ${SERVER_VERSION}: the apilens collector (ingest, storage, data API, uptime monitoring)

Usage:
  apilens serve [options]          run the collector
  apilens keys create [--json]     create an API key; prints the key and its dashboard id
  apilens keys delete <api-key>    delete a key and every request and monitor stored under it
  apilens --help | --version

Storage (every command):
  --db <file>              DuckDB file (one process at a time)  env APILENS_DB  default ${DEFAULTS.db}
  --database-url <url>     PostgreSQL instead of DuckDB     env DATABASE_URL

serve options:
  --port <n>               TCP port                         env PORT           default ${DEFAULTS.port}
  --host <addr>            address to listen on             env HOST           default ${DEFAULTS.host}
  --geoip-db <file.mmdb>   IP → country database            env APILENS_GEOIP_DB  default: bundled (CC0)
  --no-geoip               do not look up countries
  --no-demo                no demo dashboard (/dashboard/demo: two weeks of synthetic traffic)
                           env APILENS_DEMO=0
  --max-batch-rows <n>     rows per ingest batch            env APILENS_MAX_BATCH_ROWS  default ${DEFAULTS.maxBatchRows}
  --max-body-bytes <n>     request body limit, also after gzip  env APILENS_MAX_BODY_BYTES  default ${DEFAULTS.maxBodyBytes}
  --rate-limit <n>         requests per minute per API key and kind of endpoint, 0 = off
                           env APILENS_RATE_LIMIT  default ${DEFAULTS.rateLimitPerMinute}
  --auth-failures-per-minute <n>  requests with a missing or unknown key per minute per
                           client address, 0 = off  env APILENS_AUTH_FAILURES_PER_MINUTE  default ${DEFAULTS.authFailuresPerMinute}
  --generate-per-hour <n>  keys POST /api/generate makes per hour per IP, 0 = endpoint off
                           env APILENS_GENERATE_PER_HOUR  default ${DEFAULTS.generatePerHour}
  --request-timeout <s>    seconds a client has to send a whole request, 0 = none
                           env APILENS_REQUEST_TIMEOUT  default ${DEFAULTS.requestTimeoutMs / 1000}
  --headers-timeout <s>    seconds a client has to send the headers  env APILENS_HEADERS_TIMEOUT  default ${DEFAULTS.headersTimeoutMs / 1000}
  --max-connections-per-address <n>  open connections per client address, 0 = no cap
                           env APILENS_MAX_CONNECTIONS_PER_ADDRESS  default ${DEFAULTS.maxConnectionsPerAddress}
  --shutdown-timeout <s>   seconds in-flight requests get on SIGTERM before every connection is closed
                           env APILENS_SHUTDOWN_TIMEOUT  default ${DEFAULTS.shutdownTimeoutMs / 1000}
  --max-exports-per-key <n>  whole CSV/NDJSON exports streaming per key at once, 0 = no limit
                           env APILENS_MAX_EXPORTS_PER_KEY  default ${DEFAULTS.maxExportsPerKey}
  --retention-months <n>   delete keys unused for n months, 0 = never  env APILENS_RETENTION_MONTHS  default ${DEFAULTS.retentionMonths}
  --max-age-months <n>     delete requests older than n months, in every key, 0 = never
                           env APILENS_MAX_AGE_MONTHS  default ${DEFAULTS.maxAgeMonths}
  --retention-interval <s>  seconds between retention runs (one process per database runs them)
                           env APILENS_RETENTION_INTERVAL  default ${DEFAULTS.retentionIntervalMs / 1000}
  --backup-dir <dir>       back the DuckDB file up into this folder while running (a consistent
                           snapshot, <db name>-<UTC time>.duckdb); SIGUSR2 takes one at once
                           env APILENS_BACKUP_DIR  default: no backups
  --backup-interval <t>    time between backups: 24h, 30m, 3600s (s if no unit), 0 = only on SIGUSR2
                           env APILENS_BACKUP_INTERVAL  default ${DEFAULTS.backupIntervalMs / 3_600_000}h
  --backup-keep <n>        backups kept; older ones are deleted  env APILENS_BACKUP_KEEP  default ${DEFAULTS.backupKeep}
  --trust-proxy <proxies>  believe X-Forwarded-For from these proxies: addresses or CIDR ranges,
                           comma-separated (loopback: a proxy on this host), or true (any hop)
                           env APILENS_TRUST_PROXY  default: none (the connection's address)
  --log-level <level>      fatal|error|warn|info|debug|silent  env APILENS_LOG_LEVEL  default info

Uptime monitoring (serve; DuckDB or PostgreSQL store):
  --max-monitors <n>       monitors per API key             env APILENS_MAX_MONITORS  default ${MONITOR_DEFAULTS.maxMonitors}
  --monitor-min-interval <s>  shortest interval a monitor may ask for, in seconds (below 60 for tests)
                           env APILENS_MONITOR_MIN_INTERVAL  default ${MONITOR_DEFAULTS.minIntervalSeconds}
  --monitor-timeout <ms>   limit of one attempt (DNS, connect, TLS, headers)  env APILENS_MONITOR_TIMEOUT  default ${MONITOR_DEFAULTS.timeoutMs}
  --monitor-concurrency <n>  attempts in flight at once in this process  env APILENS_MONITOR_CONCURRENCY  default ${MONITOR_DEFAULTS.concurrency}
  --monitor-allow-private  allow monitor and webhook targets on loopback, private, link-local and
                           CGNAT addresses (cloud metadata stays refused)  env APILENS_MONITOR_ALLOW_PRIVATE=1
  --no-monitoring          run no pinger in this process (it still serves the monitoring API)
`;

class UsageError extends Error {}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag (`24h`, `30m`, `90s`, `1d`; seconds without a unit), as milliseconds. */
function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d+)([smhd]?)$/.exec(value);
  if (!m) throw new UsageError(`--${name} must be a duration such as 24h, 30m or 3600s, got "${value}"`);
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

/** `--trust-proxy`: true, false, or a comma-separated list of proxies. */
function proxies(value: string | undefined): boolean | string[] | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  try {
    return trustedProxies(value, '--trust-proxy');
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^@apilens\/server: /, ''));
  }
}

/** A boolean environment variable: 1/true or 0/false. */
function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new UsageError(`${name} must be 1 or 0 (true or false), got "${value}"`);
}

async function serve(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv) {
  const str = (flag: string, envName: string) =>
    (values[flag] as string | undefined) ?? env[envName] ?? undefined;
  /** A whole-number flag, else its variable: `--max-batch-rows` is `APILENS_MAX_BATCH_ROWS`. */
  const whole = (flag: string) => int(flag, str(flag, `APILENS_${flag.toUpperCase().replaceAll('-', '_')}`));
  /** A flag given in seconds, as milliseconds. */
  const milliseconds = (flag: string) => {
    const seconds = whole(flag);
    return seconds === undefined ? undefined : seconds * 1000;
  };
  const port = int('port', str('port', 'PORT')) ?? DEFAULTS.port;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const host = str('host', 'HOST') || DEFAULTS.host;
  const level = str('log-level', 'APILENS_LOG_LEVEL') || 'info';
  const options: ServerOptions = {
    db: str('db', 'APILENS_DB') || DEFAULTS.db,
    databaseUrl: str('database-url', 'DATABASE_URL') || undefined,
    geoipDb: values['no-geoip'] ? false : str('geoip-db', 'APILENS_GEOIP_DB') || undefined,
    maxBatchRows: whole('max-batch-rows'),
    maxBodyBytes: whole('max-body-bytes'),
    rateLimitPerMinute: whole('rate-limit'),
    authFailuresPerMinute: whole('auth-failures-per-minute'),
    generatePerHour: whole('generate-per-hour'),
    requestTimeoutMs: milliseconds('request-timeout'),
    headersTimeoutMs: milliseconds('headers-timeout'),
    maxConnectionsPerAddress: whole('max-connections-per-address'),
    shutdownTimeoutMs: milliseconds('shutdown-timeout'),
    maxExportsPerKey: whole('max-exports-per-key'),
    retentionMonths: whole('retention-months'),
    maxAgeMonths: whole('max-age-months'),
    retentionIntervalMs: milliseconds('retention-interval'),
    backupDir: str('backup-dir', 'APILENS_BACKUP_DIR') || undefined,
    backupIntervalMs: duration('backup-interval', str('backup-interval', 'APILENS_BACKUP_INTERVAL')),
    backupKeep: whole('backup-keep'),
    demo: !values['no-demo'] && env.APILENS_DEMO !== '0',
    trustProxy: proxies(str('trust-proxy', 'APILENS_TRUST_PROXY')),
    logger: { level },
    maxMonitors: whole('max-monitors'),
    monitorMinIntervalSeconds: whole('monitor-min-interval'),
    monitorTimeoutMs: whole('monitor-timeout'),
    monitorConcurrency: whole('monitor-concurrency'),
    monitorAllowPrivate:
      values['monitor-allow-private'] === true ||
      flag(env.APILENS_MONITOR_ALLOW_PRIVATE, 'APILENS_MONITOR_ALLOW_PRIVATE'),
    monitoring: values['no-monitoring'] !== true,
  };
  const app = buildServer(options);
  await app.listen({
    port,
    host,
    listenTextResolver: (address) =>
      `apilens listening on ${address}, storing in ${app.apilens.store.description}`,
  });

  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      app.log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    app.log.info(`${signal}: finishing in-flight batches, then closing`);
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // `systemctl kill -s USR2 apilens`: a backup now, logged like the scheduled ones.
  process.on('SIGUSR2', () => {
    if (!closing) void app.apilensBackup.run('SIGUSR2');
  });
}

async function keys(
  action: string | undefined,
  rest: string[],
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
) {
  const store = await openStore({
    db: (values.db as string | undefined) || env.APILENS_DB || DEFAULTS.db,
    databaseUrl: (values['database-url'] as string | undefined) || env.DATABASE_URL || undefined,
  });
  try {
    if (action === 'create') {
      const created = await createApiKey(store, Date.now());
      if (values.json) process.stdout.write(`${JSON.stringify(created)}\n`);
      else process.stdout.write(`API key:      ${created.api_key}\nDashboard id: ${created.dashboard_id}\n`);
      return 0;
    }
    if (action === 'delete') {
      const apiKey = normaliseApiKey(rest[0]);
      if (!apiKey) throw new UsageError('keys delete needs the API key: apilens keys delete <api-key>');
      const key = await store.findKeyByHash(hashApiKey(apiKey));
      if (!key) {
        process.stderr.write('apilens: no such API key in this store (check --db / --database-url)\n');
        return 1;
      }
      const d = await store.deleteKey(key.id);
      const monitoring =
        d.monitors === undefined ? '' : `, ${d.monitors} monitors and ${d.pings} monitor attempts`;
      process.stdout.write(`Deleted ${d.keys} key and ${d.requests} requests${monitoring}.\n`);
      return 0;
    }
    throw new UsageError(
      `unknown keys command "${action ?? ''}"; use "keys create" or "keys delete <api-key>"`,
    );
  } finally {
    await store.close();
  }
}

/** Runs the command line; resolves with the exit code (serve keeps running). */
async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      db: { type: 'string' },
      'database-url': { type: 'string' },
      'geoip-db': { type: 'string' },
      'no-geoip': { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      'max-batch-rows': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'rate-limit': { type: 'string' },
      'auth-failures-per-minute': { type: 'string' },
      'generate-per-hour': { type: 'string' },
      'retention-months': { type: 'string' },
      'retention-interval': { type: 'string' },
      'max-age-months': { type: 'string' },
      'backup-dir': { type: 'string' },
      'backup-interval': { type: 'string' },
      'backup-keep': { type: 'string' },
      'request-timeout': { type: 'string' },
      'headers-timeout': { type: 'string' },
      'max-connections-per-address': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      'max-exports-per-key': { type: 'string' },
      'log-level': { type: 'string' },
      'trust-proxy': { type: 'string' },
      'max-monitors': { type: 'string' },
      'monitor-min-interval': { type: 'string' },
      'monitor-timeout': { type: 'string' },
      'monitor-concurrency': { type: 'string' },
      'monitor-allow-private': { type: 'boolean' },
      'no-monitoring': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (values.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return values.help || command === 'help' ? 0 : 2;
  }
  if (command === 'serve') {
    await serve(values, env);
    return undefined;
  }
  if (command === 'keys') return keys(rest[0], rest.slice(1), values, env);
  throw new UsageError(`unknown command "${command}"`);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: Error & { code?: string }) => {
    const usage = err instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`apilens: ${err.message}${usage ? '\nRun `apilens --help` for usage.' : ''}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
