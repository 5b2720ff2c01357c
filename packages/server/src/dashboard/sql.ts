import type { SqlDialect } from '../types.js';
import { BIAS, type OffsetPiece } from './time-zone.js';
import type { DashboardFilters, StatusClass } from './types.js';

/**
 * Words that make a user agent a bot's, matched anywhere in it, ignoring case: crawlers,
 * link previewers, headless browsers and uptime checkers. HTTP libraries (curl, python-requests,
 * axios, okhttp …) are deliberately not bots: for an API they are most of the real clients.
 */
export const BOT_WORDS = [
  'bot',
  'crawl',
  'spider',
  'slurp',
  'scrap',
  'archiver',
  'facebookexternalhit',
  'preview',
  'headless',
  'lighthouse',
  'pingdom',
  'uptime',
] as const;

/** A path's API version: the first path segment that is `v` and digits, such as `/v2/`. */
export const VERSION_PATTERN = '(?:^|/)(v[0-9]+)(?:/|$)';

/** Status bounds of each class: `[from, to)`. */
export const CLASS_BOUNDS: Record<StatusClass, [number, number]> = {
  '1xx': [100, 200],
  '2xx': [200, 300],
  '3xx': [300, 400],
  '4xx': [400, 500],
  '5xx': [500, 600],
};

/**
 * One SQL statement being built: its parameters, and the few expressions whose spelling
 * differs between DuckDB and PostgreSQL. Every value, filter values first of all, is a `$n`
 * parameter; only fixed patterns and column names are written into the text.
 */
export class SqlBuilder {
  readonly params: unknown[] = [];

  constructor(readonly dialect: SqlDialect) {}

  /** Binds a value; `cast` types it where the engine could not infer it (PostgreSQL's CASE arms). */
  p(value: unknown, cast?: 'BIGINT'): string {
    this.params.push(value);
    return `$${this.params.length}${cast ? `::${cast}` : ''}`;
  }

  /** Integer division of non-negative integers (DuckDB's `/` gives a DOUBLE). */
  idiv(a: string, b: string): string {
    return this.dialect === 'duckdb' ? `((${a}) // ${b})` : `((${a}) / ${b})`;
  }

  /** Text compared byte by byte (PostgreSQL would otherwise sort by the database locale). */
  text(expr: string): string {
    return this.dialect === 'postgres' ? `${expr} COLLATE "C"` : expr;
  }

  /** The API version of `r.path`, or NULL (DuckDB stores it at insert). */
  version(): string {
    return this.dialect === 'duckdb' ? 'r.version' : `substring(r.path from '${VERSION_PATTERN}')`;
  }

  /** A route template, or the path when no route matched (DuckDB stores it at insert). */
  endpoint(): string {
    return this.dialect === 'duckdb' ? 'r.endpoint' : 'coalesce(r.route, r.path)';
  }

  /**
   * Distinct users: distinct user ids, plus distinct IPs among rows without a user id. DuckDB
   * counts its stored 64-bit identity hashes (see the store), the same number unless two
   * identities collide.
   */
  users(): string {
    return this.dialect === 'duckdb'
      ? 'count(DISTINCT r.identity)'
      : 'count(DISTINCT r.user_id) + count(DISTINCT r.ip_address) FILTER (WHERE r.user_id IS NULL)';
  }

  /** True when the user agent column `expr` is a bot's ({@link BOT_WORDS}). */
  isBot(expr: string): string {
    const pattern = BOT_WORDS.join('|');
    return this.dialect === 'duckdb'
      ? `regexp_matches(${expr}, '${pattern}', 'i')`
      : `${expr} ~* '${pattern}'`;
  }

  /** `arg` of the group's most recently received row (the highest id), NULL or not. */
  latest(arg: string): string {
    return this.dialect === 'duckdb'
      ? `arg_max_null(${arg}, r.id)`
      : `(array_agg(${arg} ORDER BY r.id DESC))[1]`;
  }

  /**
   * Local wall-clock time of `r.created_at` (epoch ms of the same reading in UTC), from the
   * zone's offsets over the period, plus {@link BIAS} so that integer division floors.
   */
  localTime(pieces: readonly OffsetPiece[]): string {
    const offset = (piece: OffsetPiece) => this.p(piece.offset + BIAS, 'BIGINT');
    if (pieces.length === 1) return `(r.created_at + ${offset(pieces[0]!)})`;
    let expr = 'CASE';
    for (let i = 1; i < pieces.length; i++) {
      expr += ` WHEN r.created_at < ${this.p(pieces[i]!.from, 'BIGINT')} THEN ${offset(pieces[i - 1]!)}`;
    }
    return `(r.created_at + ${expr} ELSE ${offset(pieces[pieces.length - 1]!)} END)`;
  }
}

/** `*` wildcards to a LIKE pattern (with `\` as the escape character). */
export function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

/**
 * The WHERE conditions of a dashboard request on `requests r`: the key, a time range and every
 * filter, combined with AND.
 */
export function whereClause(
  b: SqlBuilder,
  keyId: number,
  range: [number, number],
  f: DashboardFilters,
): string {
  const where = [
    `r.key_id = ${b.p(keyId, 'BIGINT')}`,
    `r.created_at >= ${b.p(range[0], 'BIGINT')}`,
    `r.created_at < ${b.p(range[1], 'BIGINT')}`,
  ];
  const agents = (column: 'browser' | 'os' | 'device', value: string) =>
    `r.user_agent_id IN (SELECT id FROM user_agents WHERE ${column} = ${b.p(value)})`;
  if (f.hostname !== undefined) where.push(`r.hostname = ${b.p(f.hostname)}`);
  if (f.method !== undefined) where.push(`r.method = ${b.p(f.method)}`);
  if (f.endpoint !== undefined) where.push(`${b.endpoint()} = ${b.p(f.endpoint)}`);
  if (f.status !== undefined) where.push(`r.status = ${b.p(f.status)}`);
  if (f.statusClass !== undefined) {
    const [lo, hi] = CLASS_BOUNDS[f.statusClass];
    where.push(`r.status >= ${b.p(lo)} AND r.status < ${b.p(hi)}`);
  }
  if (f.country !== undefined) {
    where.push(f.country === 'unknown' ? 'r.location IS NULL' : `r.location = ${b.p(f.country)}`);
  }
  if (f.browser !== undefined) where.push(agents('browser', f.browser));
  if (f.os !== undefined) where.push(agents('os', f.os));
  if (f.device !== undefined) where.push(agents('device', f.device));
  if (f.user !== undefined) where.push(`coalesce(r.user_id, r.ip_address) = ${b.p(f.user)}`);
  if (f.version !== undefined) where.push(`${b.version()} = ${b.p(f.version)}`);
  if (f.exclude404) where.push('r.status <> 404');
  if (f.excludeBots) {
    where.push(
      `(r.user_agent_id IS NULL OR r.user_agent_id NOT IN (SELECT id FROM user_agents WHERE ${b.isBot('user_agent')}))`,
    );
  }
  for (const h of f.hide ?? []) where.push(`${b.endpoint()} NOT LIKE ${b.p(likePattern(h))} ESCAPE '\\'`);
  return where.join(' AND ');
}
