/**
 * The monitoring contract: monitors, attempts, and what `GET /api/monitoring/<dashboard_id>`
 * answers. The dashboard web app imports these types (type-only), so this file has no imports
 * and no runtime code.
 *
 * Conventions (as in the dashboard contract):
 * - Times are epoch milliseconds (UTC instants); a slot's `t` is its start.
 * - Uptime is a fraction from 0 to 1; `null` when nothing is known about the time asked.
 * - Response times are whole milliseconds.
 */

/** HTTP method a monitor uses. HEAD asks for no body; GET for servers that treat HEAD differently. */
export type MonitorMethod = 'GET' | 'HEAD';

/**
 * Why an attempt failed.
 * - `timeout`: no response headers within the timeout (DNS, connect and TLS included).
 * - `connection_refused`: nothing listens on the port.
 * - `dns`: the host name does not resolve.
 * - `tls`: the TLS handshake failed (certificate expired, self-signed, wrong name, …).
 * - `unexpected_status`: an answer with a status that does not count as up.
 * - `blocked`: the SSRF guard refused the address; no connection was made.
 * - `network_error`: anything else before an answer (connection reset, malformed response, …).
 */
export type FailureKind =
  | 'timeout'
  | 'connection_refused'
  | 'dns'
  | 'tls'
  | 'unexpected_status'
  | 'blocked'
  | 'network_error';

/** One attempt of a monitor, as stored. A failed attempt is stored like a successful one. */
export interface Attempt {
  /** When the attempt started. */
  at: number;
  /** Time to the response headers, or until the failure. */
  responseMs: number;
  /** The HTTP status, when the target answered. */
  status: number | null;
  /** `null` when the attempt counts as up. */
  failure: FailureKind | null;
  /** A short human-readable cause of a failure (error code and message), at most 200 characters. */
  detail: string | null;
}

/**
 * A monitor's state: `up` or `down` as the alerting sees it (down after the configured number of
 * consecutive failures), `unknown` before enough attempts, or when the last attempt is older than
 * twice the interval (the pinger is not running).
 */
export type MonitorState = 'up' | 'down' | 'unknown';

/** Periods of the monitoring page. */
export type MonitoringPeriod = '24h' | '7d' | '30d' | '60d';

/**
 * A slot's colour: `up` (every attempt up), `down` (every attempt failed), `degraded` (some
 * failed), `unknown` (no attempt in the slot).
 */
export type SlotState = 'up' | 'degraded' | 'down' | 'unknown';

/** One time slot of a monitor's bar. Every slot of the period is present. */
export interface MonitorSlot {
  /** Slot start; the slot lasts `slotMs` of the response. */
  t: number;
  state: SlotState;
  attempts: number;
  failures: number;
  /** Share of the slot's attempts that were up; `null` without attempts. */
  uptime: number | null;
  /** Mean and largest response time of the attempts that got an answer; `null` when none did. */
  avgResponseMs: number | null;
  maxResponseMs: number | null;
  /**
   * The attempt the tooltip shows: the latest failure in the slot, or the slowest success when
   * there was none; `null` without attempts.
   */
  worst: Attempt | null;
}

/** A monitor as the API lists it. */
export interface MonitorInfo {
  /** Opaque id, used in `DELETE /api/monitors/<id>`. */
  id: string;
  url: string;
  method: MonitorMethod;
  intervalSeconds: number;
  /** The status that counts as up; `null`: any 2xx or 3xx. */
  expectStatus: number | null;
  createdAt: number;
}

/** A monitor on the monitoring page. */
export interface MonitorReport extends MonitorInfo {
  state: MonitorState;
  /** Since when the monitor is in `state`; `null` when unknown. */
  stateSince: number | null;
  lastAttempt: Attempt | null;
  /** Uptime over each period (see the server README for the definition). */
  uptime: Record<MonitoringPeriod, number | null>;
  /** The asked period's slots, oldest first; the last one is the current, partial slot. */
  slots: MonitorSlot[];
}

/** What `GET /api/monitoring/<dashboard_id>?period=…` answers. */
export interface MonitoringResponse {
  period: MonitoringPeriod;
  /** Start of the first slot. */
  from: number;
  /** The server's time when it answered (end of the last, partial slot). */
  to: number;
  slotMs: number;
  monitors: MonitorReport[];
}

/** Alert settings of a key (`PUT /api/alerts`, `GET /api/alerts`). */
export interface AlertSettings {
  /** Where alerts are POSTed; `null`: no alerts. */
  webhookUrl: string | null;
  /** Consecutive failed attempts before a monitor counts as down. */
  threshold: number;
}

/** The JSON body of an alert webhook; `text` makes it a valid Slack incoming-webhook message. */
export interface AlertPayload {
  text: string;
  monitor: { id: string; url: string; method: MonitorMethod };
  /** The new state. */
  status: 'down' | 'up';
  /** ISO 8601: when the monitor went down (its first failed attempt), or when it came back up. */
  since: string;
}
