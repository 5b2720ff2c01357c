// Words for the period a response covers, used by the cards' hints and the header.
import type { DashboardResponse } from './api-types.js';
import { date } from './format.js';
import { PERIODS } from './view-state.svelte.js';

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
