/** Base and cap of the exponential backoff between delivery attempts. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
/** A Retry-After longer than this is capped: the queue keeps filling meanwhile. */
export const RETRY_AFTER_MAX_MS = 120_000;

/** Exponential backoff for the given attempt (0-based), half of each wait random ("equal jitter"). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  // Half fixed, half random: spreads clients out without ever retrying instantly.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Parses a Retry-After header (delta-seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(0, Math.round(ms)));
}

/** Statuses worth another attempt: the collector is overloaded or failing, not refusing the data. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
