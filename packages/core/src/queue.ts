/**
 * Fixed-capacity FIFO ring. Pushing onto a full ring overwrites the oldest item
 * and reports it, so memory stays bounded however long the collector is away.
 */
export class RingQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;
  /** Items that have left the queue (taken or overwritten) since creation. */
  removed = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds an item; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    const cap = this.capacity;
    if (this.size === cap) {
      this.items[this.head] = item;
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.removed++;
      return true;
    }
    let i = this.head + this.size;
    if (i >= cap) i -= cap;
    this.items[i] = item;
    this.size++;
    return false;
  }

  /** Removes and returns up to `n` of the oldest items. */
  take(n: number): T[] {
    const count = Math.min(n, this.size);
    const out = new Array<T>(count);
    const cap = this.capacity;
    for (let k = 0; k < count; k++) {
      out[k] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
    }
    this.size -= count;
    this.removed += count;
    return out;
  }
}
