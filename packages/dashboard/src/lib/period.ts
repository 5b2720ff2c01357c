// Words for the period a response covers, used by the cards' hints and the header.
import type { BucketName, DashboardResponse, TimelineBucket } from './api-types.js';
import { date } from './format.js';
import { PERIODS } from './view-state.svelte.js';

const BUCKET_MS: Record<BucketName, number> = {
  '5m': 300_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};

/**
 * Whether the key has data for the whole previous period: a key that started sending in the
 * middle of it would show a meaningless change (+11 000 %), so the tiles then say so instead.
 */
export function previousComplete(meta: DashboardResponse['meta']): boolean {
  return meta.previousFrom !== null && meta.firstSeen !== null && meta.firstSeen <= meta.previousFrom;
}

/** The timeline without its last bucket while that one is still filling (for sparklines). */
export function settledTimeline(data: DashboardResponse): TimelineBucket[] {
  const last = data.timeline.at(-1);
  if (last && last.t + BUCKET_MS[data.meta.bucket] > data.meta.generatedAt) return data.timeline.slice(0, -1);
  return data.timeline;
}

/** `vs previous 7 days`, `vs the 7 days before` for a custom range. */
export function comparedTo(meta: DashboardResponse['meta']): string {
  if (meta.previousFrom === null) return '';
  const named = PERIODS.find((p) => p.value === meta.period);
  if (named) return `vs previous ${named.long.replace(/^last /, '')}`;
  const days = Math.round((meta.to - meta.from) / 86_400_000);
  return days >= 1 ? `vs the ${days} days before` : 'vs the period before';
}

/** `20 Nov 2026 – 27 Nov 2026` in the response's zone. */
export function periodRange(meta: DashboardResponse['meta']): string {
  const a = date(meta.from, meta.tz);
  const b = date(meta.to - 1, meta.tz);
  return a === b ? a : `${a} – ${b}`;
}
