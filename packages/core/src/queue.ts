import { RecordBatch } from './batch.js';

/** Emptied batches kept for reuse: the next batches need no new arrays. */
const SPARE_BATCHES = 2;

/**
 * The records waiting to be sent, as batches of at most `batchSize` rows: full batches
 * in order, then the one being written. At most `capacity` rows are held: writing one
 * more first drops the oldest, so memory stays bounded however long the collector is away.
 */
export class BatchQueue {
  private readonly sealed: RecordBatch[] = [];
  private current: RecordBatch | undefined;
  private readonly spare: RecordBatch[] = [];
  /** Rows queued (not counting a batch taken for delivery). */
  length = 0;
  /** Rows that have left the queue (taken or dropped) since creation. */
  removed = 0;

  constructor(
    readonly batchSize: number,
    readonly capacity: number,
  ) {}

  /** Whether the next row makes room by dropping the oldest. */
  get isFull(): boolean {
    return this.length >= this.capacity;
  }

  /** Whether a full batch is waiting to be sent. */
  get hasFullBatch(): boolean {
    return this.sealed.length > 0 || this.current?.full === true;
  }

  /** Drops the oldest queued row. */
  dropOldest(): void {
    const oldest = this.sealed[0] ?? this.current;
    if (oldest === undefined || oldest.length === 0) return;
    oldest.start++;
    this.length--;
    this.removed++;
    if (oldest.length === 0 && oldest !== this.current) this.release(this.sealed.shift() as RecordBatch);
  }

  /**
   * The batch the next row goes into, counted as queued: the caller must `add()` one row
   * to it. Check {@link isFull} (and drop) first.
   */
  writable(): RecordBatch {
    let batch = this.current;
    if (batch === undefined) {
      batch = this.spare.pop() ?? new RecordBatch(this.batchSize);
      this.current = batch;
    } else if (batch.full) {
      this.sealed.push(batch);
      batch = this.spare.pop() ?? new RecordBatch(this.batchSize);
      this.current = batch;
    }
    this.length++;
    return batch;
  }

  /** Takes the oldest batch (the one being written when no other is full); `undefined` when empty. */
  take(): RecordBatch | undefined {
    let batch = this.sealed.shift();
    if (batch === undefined) {
      batch = this.current;
      if (batch === undefined || batch.length === 0) return undefined;
      this.current = undefined;
    }
    this.length -= batch.length;
    this.removed += batch.length;
    return batch;
  }

  /** Gives a delivered batch back for reuse. */
  release(batch: RecordBatch): void {
    if (this.spare.length < SPARE_BATCHES && batch.capacity === this.batchSize) {
      batch.reset();
      this.spare.push(batch);
    }
  }

  /** Empties the queue; returns how many rows were in it. */
  clear(): number {
    const n = this.length;
    this.sealed.length = 0;
    this.current = undefined;
    this.length = 0;
    this.removed += n;
    return n;
  }
}
