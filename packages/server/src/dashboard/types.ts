/**
 * The dashboard API contract: what `GET /api/dashboard/<dashboard_id>` answers. One JSON
 * response carries every figure the dashboard draws, computed on the server for the asked
 * period and filters. The dashboard web app (`packages/dashboard`) imports these types
 * (type-only), so this file has no imports and no runtime code.
 *
 * Conventions:
 * - Times are epoch milliseconds (UTC instants); a bucket's `t` is its start.
 * - Rates are fractions from 0 to 1; `null` when there is nothing to divide by.
 * - Response times are whole milliseconds; `null` when the period has no requests.
 * - `users` counts distinct identities: the user id when the row has one, else the client IP.
 *   It is `null` (unknown, never 0) when no row of the period carries either.
 */

/** A period name; `custom` when `from`/`to` were given. */
export type PeriodName = '24h' | '7d' | '30d' | '6m' | '1y' | 'all' | 'custom';

/** Timeline bucket width: 5 min (24 h), 1 h (7 d), 6 h (30 d), 1 day beyond. */
export type BucketName = '5m' | '1h' | '6h' | '1d';

/** Status class of an endpoint tab or the `statusClass` filter. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** Filters a dashboard request applied (as parsed), echoed back so the page can show them as chips. */
export interface DashboardFilters {
  hostname?: string;
  method?: string;
  /** Route template, or the path for rows without one. */
  endpoint?: string;
  status?: number;
  statusClass?: StatusClass;
  /** ISO 3166 alpha-2, upper case; `unknown` matches rows without a country. */
  country?: string;
  browser?: string;
  os?: string;
  device?: string;
  /** A user id, or a client IP for rows without a user id. */
  user?: string;
  /** An API version path segment such as `v1`. */
  version?: string;
  exclude404?: boolean;
  excludeBots?: boolean;
  /** Endpoint patterns; `*` matches any run of characters. */
  hide?: string[];
}

/** Period totals (the current period, and the previous one of equal length). */
export interface DashboardTotals {
  requests: number;
  users: number | null;
  /** Share of requests with status < 400. */
  successRate: number | null;
  /** Share of requests with status >= 400. */
  errorRate: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  p99: number | null;
}

/** One timeline bucket. Every bucket of the period is present, empty ones with zeros and nulls. */
export interface TimelineBucket {
  t: number;
  requests: number;
  users: number | null;
  successRate: number | null;
  p50: number | null;
  p95: number | null;
}

/** One response-time histogram bin: `[fromMs, toMs)`; `toMs` is `null` for the last, open bin. */
export interface HistogramBin {
  fromMs: number;
  toMs: number | null;
  requests: number;
}

/** Requests per status class. */
export type ClassCounts = Record<StatusClass, number>;

/** One endpoint: method + route template (or path when no route matched). */
export interface EndpointFigures {
  method: string;
  endpoint: string;
  requests: number;
  errorRate: number;
  p50: number;
  p95: number;
  classes: ClassCounts;
  /** Requests per status code, most frequent first. */
  statuses: Array<{ status: number; requests: number }>;
}

/** A named share: a browser, an OS, a device type, a hostname, a version. `null` name = unknown. */
export interface NamedCount {
  name: string | null;
  requests: number;
}

/** One country. */
export interface CountryFigures {
  /** ISO 3166 alpha-2, or `null` when unknown. */
  country: string | null;
  requests: number;
  users: number | null;
}

/** One of the top users. */
export interface UserFigures {
  userId: string | null;
  /** Most recent client IP (null when not stored). */
  ip: string | null;
  /** Most recent country. */
  country: string | null;
  lastSeen: number;
  requests: number;
}

/** The whole response of `GET /api/dashboard/<dashboard_id>`. */
export interface DashboardResponse {
  meta: {
    /** The id asked for (`demo` for the demo dashboard). */
    dashboardId: string;
    period: PeriodName;
    /** The period: `[from, to)`. */
    from: number;
    to: number;
    /** The previous period of equal length, `[previousFrom, from)`; `null` for `all`. */
    previousFrom: number | null;
    /** IANA time zone used for day buckets, hour of day and weekday. */
    tz: string;
    bucket: BucketName;
    filters: DashboardFilters;
    /** Earliest and latest stored request of the key, whatever the filters (`null`: no data yet). */
    firstSeen: number | null;
    lastSeen: number | null;
    /** When the figures were computed. */
    generatedAt: number;
    /** Which store answered, and which figures are approximate (see the server README for bounds). */
    store: string;
    approximate: { percentiles: boolean; users: boolean };
  };
  totals: DashboardTotals;
  /** `null` for `all`. */
  previous: DashboardTotals | null;
  timeline: TimelineBucket[];
  histogram: HistogramBin[];
  /** Top 100 by requests, plus the top 100 of each status class, each once; sorted by requests. */
  endpoints: EndpointFigures[];
  statuses: Array<{ status: number; requests: number }>;
  countries: CountryFigures[];
  browsers: NamedCount[];
  os: NamedCount[];
  devices: NamedCount[];
  hostnames: NamedCount[];
  /** API versions; empty when no path has a version segment. */
  versions: NamedCount[];
  /** `heatmap[weekday][hour]` requests; weekday 0 = Monday … 6 = Sunday, in `tz`. */
  heatmap: number[][];
  /** Top 1 000 users by requests. */
  users: UserFigures[];
}

/** Every error of the API: a message saying what to fix. */
export interface ApiError {
  error: string;
}
