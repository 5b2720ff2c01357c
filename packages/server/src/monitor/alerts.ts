import type { AlertPayload, Attempt, MonitorMethod, MonitorState } from './types.js';

/** Where a monitor stands for alerting; stored with the monitor and advanced by every attempt. */
export interface MonitorHealth {
  state: MonitorState;
  /** When `state` began: the first failed attempt of the streak for `down`; `null` for `unknown`. */
  since: number | null;
  /** Failed attempts in a row, up to now. */
  consecutiveFailures: number;
  /** Time of the first attempt of the current failure streak; `null` after a success. */
  failingSince: number | null;
}

/** A new monitor: nothing known yet. */
export const INITIAL_HEALTH: MonitorHealth = {
  state: 'unknown',
  since: null,
  consecutiveFailures: 0,
  failingSince: null,
};

/** What an attempt did to a monitor's health; `change` is set when an alert is due. */
export interface HealthStep {
  health: MonitorHealth;
  /** `down` when the monitor just went down, `up` when it just recovered from down, else `null`. */
  change: 'down' | 'up' | null;
}

/**
 * The alert state machine. A monitor goes `down` at the `threshold`-th failed attempt in a row
 * (from `up` or from `unknown`: a new monitor that never answers alerts too) and `up` at the
 * first successful attempt. An alert is due on each change to `down` and on each change from
 * `down` to `up`, so once per state change: further failures while down change nothing.
 *
 * @example
 * let h = INITIAL_HEALTH;
 * ({ health: h } = advanceHealth(h, failedAttempt, 2)); // still 'unknown', 1 failure
 * advanceHealth(h, failedAttempt, 2).change;            // 'down'
 */
export function advanceHealth(prev: MonitorHealth, attempt: Attempt, threshold: number): HealthStep {
  if (attempt.failure === null) {
    const health: MonitorHealth = {
      state: 'up',
      since: prev.state === 'up' ? prev.since : attempt.at,
      consecutiveFailures: 0,
      failingSince: null,
    };
    return { health, change: prev.state === 'down' ? 'up' : null };
  }
  const consecutiveFailures = prev.consecutiveFailures + 1;
  const failingSince = prev.failingSince ?? attempt.at;
  if (prev.state !== 'down' && consecutiveFailures >= threshold) {
    return {
      health: { state: 'down', since: failingSince, consecutiveFailures, failingSince },
      change: 'down',
    };
  }
  return { health: { ...prev, consecutiveFailures, failingSince }, change: null };
}

/** An alert to send after an attempt changed a monitor's state. */
export interface PendingAlert {
  webhookUrl: string;
  change: 'down' | 'up';
  /** Start of the new state. */
  since: number;
  /** For a recovery: when the monitor went down. */
  downSince: number | null;
}

/** The alert a health step calls for, if the key has a webhook; `prev` is the health before the step. */
export function alertOf(
  step: HealthStep,
  prev: MonitorHealth,
  webhookUrl: string | null,
): PendingAlert | null {
  if (!step.change || !webhookUrl) return null;
  return {
    webhookUrl,
    change: step.change,
    since: step.health.since ?? 0,
    downSince: step.change === 'up' ? prev.since : null,
  };
}

/** What an alert is about. */
export interface AlertSubject {
  id: string;
  url: string;
  method: MonitorMethod;
}

// Slack's message text treats these three as markup; its docs ask for them escaped.
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

function describeAttempt(a: Attempt): string {
  if (a.failure === null) return `${a.status} in ${a.responseMs} ms`;
  const kind = a.failure.replaceAll('_', ' ');
  return a.detail ? `${kind}: ${a.detail}` : kind;
}

/**
 * The webhook body for a state change. `since` is the start of the new state; for a recovery the
 * text also says how long the monitor was down (`downSince`).
 */
export function alertPayload(
  monitor: AlertSubject,
  change: 'down' | 'up',
  since: number,
  attempt: Attempt,
  downSince: number | null,
): AlertPayload {
  const target = `${monitor.method} ${monitor.url}`;
  const text =
    change === 'down'
      ? `DOWN: ${target} is failing since ${new Date(since).toISOString()} (${describeAttempt(attempt)})`
      : `UP: ${target} is answering again (${describeAttempt(attempt)})${
          downSince === null ? '' : ` after ${duration(since - downSince)} down`
        }`;
  return {
    text: slackEscape(text),
    monitor: { id: monitor.id, url: monitor.url, method: monitor.method },
    status: change,
    since: new Date(since).toISOString(),
  };
}
