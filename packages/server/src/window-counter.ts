/**
 * Counts events per id in fixed windows (one minute for every id at once): cheap, and forgotten
 * whole when the window ends, so no id outlives its window. At most `maxIds` ids are counted
 * per window; ids beyond are not counted, so a flood of new ids can never push out (and reset) an
 * id already counted, which an LRU would.
 */
export class WindowCounter {
  private counts = new Map<string, number>();
  private windowStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number,
    private readonly maxIds: number,
    private readonly now: () => number,
  ) {}

  private roll(): number {
    const now = this.now();
    if (now >= this.windowStart + this.windowMs || now < this.windowStart) {
      this.counts.clear();
      this.windowStart = now;
    }
    return now;
  }

  /** Counts one event for `id`; returns the count in this window (0 when `id` is not counted). */
  hit(id: string): number {
    this.roll();
    const n = this.counts.get(id);
    if (n === undefined) {
      if (this.counts.size >= this.maxIds) return 0;
      this.counts.set(id, 1);
      return 1;
    }
    this.counts.set(id, n + 1);
    return n + 1;
  }

  /** Events counted for `id` in this window. */
  count(id: string): number {
    this.roll();
    return this.counts.get(id) ?? 0;
  }

  /** Whole seconds until the window ends (for `Retry-After`). */
  secondsLeft(): number {
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - this.now()) / 1000));
  }
}
