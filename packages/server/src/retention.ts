import type { DeleteCounts, Store } from './types.js';

/** `now` minus whole calendar months (UTC). */
export function monthsBefore(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/**
 * Deletes keys (with all their rows) that had neither an ingest nor a read for `months`.
 * Each key is deleted in its own transaction, so a large cleanup never holds one long lock.
 */
export async function runRetention(store: Store, now: number, months: number): Promise<DeleteCounts> {
  const total: DeleteCounts = { keys: 0, requests: 0 };
  if (months <= 0) return total;
  for (const id of await store.findInactiveKeys(monthsBefore(now, months))) {
    const d = await store.deleteKey(id);
    total.keys += d.keys;
    total.requests += d.requests;
  }
  return total;
}
