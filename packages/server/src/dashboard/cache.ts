/**
 * Recently computed dashboard responses, as JSON text. An entry serves a request only while the
 * key's data is unchanged: its `version` is the store's data version of the key when it was
 * computed (see `Store.dataVersion`), so one committed batch makes every entry of that key stale
 * before its ingest is answered. The period end is part of the cache key, so a named period moves
 * on as the clock does.
 */
export class DashboardCache {
  private readonly entries = new Map<string, { version: number; json: string }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, version: number): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.version !== version) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used last, so that eviction takes the oldest.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.json;
  }

  set(key: string, version: number, json: string): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, { version, json });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
