// An unbounded first-in, first-out list with a moving head: taking from the
// front costs O(1). Array.prototype.shift() and splice(0, n) copy the rest of
// a large array on every call; a publisher's backlog of hundreds of
// thousands of frames then cost more to take than to process, the server
// fell further behind the more it had to catch up on, and never recovered.

export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The item `i` places after the oldest; undefined past the end. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  /** Removes the `n` oldest items. */
  drop(n: number): void {
    const count = Math.min(n, this.length);
    for (let i = 0; i < count; i++) this.items[this.head + i] = undefined;
    this.head += count;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      // Compact now and then, so that the array does not grow for ever: amortised O(1).
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
