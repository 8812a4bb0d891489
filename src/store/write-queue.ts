// The facade's queue of records not yet posted to the writer: FIFO, bounded,
// and coalescing upserts.
//
// - A bar or indicator whose key (barKey: symbol, interval, window_start or
//   bar_index / symbol, window_start) is still queued replaces the queued
//   one in place: the table keeps only the latest revision anyway, so a
//   storm of revisions of one key never grows the queue.
// - At `capacity` queued records, a dead letter is dropped (counted in
//   `dropped`) rather than queued. Final records and checkpoints are never
//   dropped: losing one would break the promise that every final record
//   reaches the store and the Kafka topics; the queue then grows past
//   `capacity` until the writer catches up.
//
// Positions are absolute (they count every record ever queued), so the
// facade can tell which flush() a posted batch satisfies. Both operations
// are O(1) amortised; the consumed prefix of the arrays is cut off once it
// is at least half of them.

import { barKey } from '../records/result-messages';
import type { StoredRecord } from './store-protocol';

/** Below this many consumed slots, cutting the prefix costs more than it frees. */
const MIN_COMPACT = 4096;

function keyOf(stored: StoredRecord): string | null {
  // NUL cannot appear in a valid symbol or interval (SPEC §1), so keys cannot collide.
  if (stored.kind === 'bar') return `b\0${barKey(stored.record)}`;
  if (stored.kind === 'indicator') return `i\0${stored.record.symbol}\0${stored.record.window_start}`;
  return null;
}

export class WriteQueue {
  private items: StoredRecord[] = [];
  private keys: Array<string | null> = [];
  /** Index in `items` of the oldest queued record. */
  private head = 0;
  /** Absolute position of items[0]. */
  private base = 0;
  /** Absolute position of each queued bar or indicator, by key. */
  private readonly byKey = new Map<string, number>();
  dropped = 0;
  coalesced = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Absolute position just past the newest queued record: what a flush() now waits for. */
  get end(): number {
    return this.base + this.items.length;
  }

  /** Absolute position of the oldest queued record: the end of the last batch taken. */
  get start(): number {
    return this.base + this.head;
  }

  push(record: StoredRecord): void {
    const key = keyOf(record);
    if (key !== null) {
      const at = this.byKey.get(key);
      if (at !== undefined) {
        this.items[at - this.base] = record;
        this.coalesced++;
        return;
      }
    }
    if (this.length >= this.capacity && record.kind === 'dead_letter') {
      this.dropped++;
      return;
    }
    if (key !== null) this.byKey.set(key, this.end);
    this.items.push(record);
    this.keys.push(key);
  }

  /** Removes and returns up to `max` of the oldest records. */
  take(max: number): StoredRecord[] {
    const from = this.head;
    const to = Math.min(this.items.length, from + max);
    for (let i = from; i < to; i++) {
      const key = this.keys[i];
      if (key !== null && key !== undefined) this.byKey.delete(key);
    }
    const batch = this.items.slice(from, to);
    this.head = to;
    this.compact();
    return batch;
  }

  /** Empties the queue, counting every queued record as dropped (the writer is gone). */
  discard(): void {
    this.dropped += this.length;
    this.byKey.clear();
    this.base = this.end;
    this.items = [];
    this.keys = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.base += this.head;
      this.items = [];
      this.keys = [];
      this.head = 0;
    } else if (this.head >= MIN_COMPACT && this.head * 2 >= this.items.length) {
      this.base += this.head;
      this.items = this.items.slice(this.head);
      this.keys = this.keys.slice(this.head);
      this.head = 0;
    }
  }
}
