// Recording: reads a finished request's fields — the user's mappers (isolated), the privacy
// level and `exclude` — and hands them on as they are, without building an object, parsing or
// serialising anything (that is flush-time work).
import type { WriteRow } from './batch.js';
import type { MapperName, ResolvedConfig } from './internal-types.js';
import { ApilensError, errorText, type Reporter } from './report.js';
import { safeCall } from './safe-call.js';
import type { Recorder, RequestAccessors } from './types.js';
import { WallClock } from './wall-clock.js';
import { stripQuery } from './wire.js';

/** What a mapper's value must be, as the end of a message when it is not; `undefined` when it is fine. */
type Check = (value: unknown) => string | undefined;

const nullableString: Check = (v) =>
  typeof v === 'string' || v === null || v === undefined
    ? undefined
    : `returned ${typeof v} instead of a string`;
const string: Check = (v) =>
  typeof v === 'string' ? undefined : `returned ${v === null ? 'null' : typeof v} instead of a string`;
const userId: Check = (v) =>
  typeof v === 'string' || typeof v === 'number' || v === null || v === undefined
    ? undefined
    : `returned ${typeof v} instead of a string or number`;

/** Applies the configuration's mappers, privacy level and `exclude` rules to requests. */
export class Recording<Req> {
  /** False when there are no `exclude` rules: the common case skips the check altogether. */
  readonly hasExclude: boolean;
  private readonly excludeThrew: (error: unknown) => boolean;

  constructor(
    private readonly cfg: ResolvedConfig<Req>,
    private readonly reporter: Reporter,
  ) {
    const { exact, patterns, predicate } = cfg.exclude;
    this.hasExclude = exact.size > 0 || patterns.length > 0 || predicate !== undefined;
    this.excludeThrew = (err) => {
      reporter.report(
        () =>
          new ApilensError('exclude', `config.exclude threw: ${errorText(err)}; the request is recorded`, {
            field: 'exclude',
            cause: err,
          }),
        'exclude',
      );
      return false;
    };
  }

  /**
   * True when `exclude` leaves the request out: its path (query removed) or route
   * template is listed, a pattern matches the path, or the predicate says so.
   */
  excludes(rawPath: string, route: string | null | undefined, req: Req | undefined): boolean {
    const { exact, patterns, predicate } = this.cfg.exclude;
    const path = stripQuery(rawPath);
    if (exact.has(path) || (route != null && exact.has(route))) return true;
    for (const re of patterns) {
      re.lastIndex = 0;
      if (re.test(path)) return true;
    }
    return predicate !== undefined && safeCall(predicate, path, req as Req, this.excludeThrew) === true;
  }

  /**
   * The recorder of an adapter's requests: each field from the user's mapper when there is
   * one (a throw or a wrong type falls back to `defaults` and is reported), else straight
   * from `defaults`, handed to `write` unless `exclude` leaves the request out. The client
   * IP is never read at privacy level 2. Never throws.
   */
  recorder<R extends Req>(defaults: RequestAccessors<R>, write: WriteRow): Recorder<R> {
    const c = this.cfg as unknown as ResolvedConfig<R>;
    const path = this.field('getPath', c.getPath, defaults.path, string);
    const hostname = this.field('getHostname', c.getHostname, defaults.hostname, nullableString);
    const ipAddress =
      c.privacyLevel === 2
        ? undefined
        : this.field('getIPAddress', c.getIPAddress, defaults.ipAddress, nullableString);
    const userAgent = this.field('getUserAgent', c.getUserAgent, defaults.userAgent, nullableString);
    const userIdOf = c.getUserID ? this.field('getUserID', c.getUserID, () => null, userId) : undefined;
    const clock = new WallClock();
    return (req, method, status, route, responseTimeMs, finishedAt) => {
      try {
        const p = path(req);
        if (this.hasExclude && this.excludes(p, route, req as Req)) return;
        let id: string | number | null | undefined = null;
        if (userIdOf !== undefined) {
          id = userIdOf(req);
          if (typeof id === 'number') id = String(id);
        }
        write(
          method,
          p,
          route,
          status,
          responseTimeMs,
          hostname(req),
          ipAddress === undefined ? null : ipAddress(req),
          userAgent(req),
          id,
          (finishedAt === undefined ? Date.now() : clock.epochAt(finishedAt)) - responseTimeMs,
        );
      } catch (err) {
        this.reporter.report(
          () => new ApilensError('internal', `could not record a request: ${errorText(err)}`, { cause: err }),
          'internal',
        );
      }
    };
  }

  /**
   * Reads one field: `fallback` itself when the user gave no mapper, else the mapper,
   * isolated; a throw or a value failing `check` is reported (once a minute per
   * field) and replaced by the fallback's value.
   */
  private field<R, T>(
    name: MapperName,
    mapper: ((req: R) => unknown) | undefined,
    fallback: (req: R) => T,
    check: Check,
  ): (req: R) => T {
    if (mapper === undefined) return fallback;
    const threw = (err: unknown, req: R): T => {
      this.mapperFailed(name, `threw: ${errorText(err)}`, err);
      return fallback(req);
    };
    return (req) => {
      const value = safeCall(mapper, req, undefined, threw);
      const problem = check(value);
      if (problem === undefined) return value as T;
      this.mapperFailed(name, problem, undefined);
      return fallback(req);
    };
  }

  private mapperFailed(field: MapperName, problem: string, cause: unknown): void {
    this.reporter.report(
      () =>
        new ApilensError(
          'mapper',
          `config.${field} ${problem}; using the default value (the request is still recorded)`,
          { field, cause },
        ),
      `mapper:${field}`,
    );
  }
}
