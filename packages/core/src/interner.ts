/**
 * Numbers distinct values in the order they are first seen: `values[id(v)] === v`. A batch's
 * strings are interned this way as requests are recorded, and again, cleaned, as a body is written.
 */
export class Interner<T> {
  readonly values: T[] = [];
  private readonly ids = new Map<T, number>();

  /** The id of `value`, adding it on first sight. */
  id(value: T): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}
