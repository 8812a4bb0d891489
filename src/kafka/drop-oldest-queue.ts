// A bounded FIFO that makes room for a new item by dropping its oldest: for
// live data, where the newest value supersedes what a stalled consumer has
// not taken yet, and waiting or growing without bound would be worse than
// losing the stale end. A fixed array used as a ring: pushing allocates
// nothing once it is full.

export class DropOldestQueue<T> {
  /** Items dropped to make room, since creation. */
  dropped = 0;
  private readonly items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity: expected an integer >= 1, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`, dropping the oldest when full. */
  push(item: T): void {
    if (this.count === this.capacity) {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      this.dropped++;
      return;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  /** Removes and returns up to `max` of the oldest items, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return out;
  }

  /** Drops every item (counted), for a stop that cannot wait for them. */
  clear(): void {
    this.dropped += this.take(this.count).length;
  }
}
