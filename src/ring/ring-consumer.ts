// The reading end of a ring (layout in ring-descriptor.ts). One thread only.

import {
  CONSUMER_PARKED_SLOT,
  HEAD_SLOT,
  PADDING_TYPE,
  PRODUCER_PARKED_SLOT,
  TAIL_SLOT,
  alignRecord,
  ringViews,
  type RingViews,
} from './ring-descriptor';

/**
 * Called once per record. The payload is bytes[offset, offset + length) of the
 * consumer's `bytes`; it is only valid until the handler returns.
 */
export type RecordHandler = (type: number, offset: number, length: number) => void;

export class RingConsumer {
  readonly bytes: Uint8Array;
  readonly capacity: number;
  private readonly views: RingViews;
  private head: number;

  constructor(buffer: SharedArrayBuffer) {
    this.views = ringViews(buffer);
    this.bytes = this.views.bytes;
    this.capacity = this.views.capacity;
    this.head = Atomics.load(this.views.control, HEAD_SLOT);
  }

  /**
   * Hands up to `limit` published records to `handler` in order, then releases
   * their space to the producer (waking it if it is parked). Returns how many
   * records it handled.
   */
  poll(handler: RecordHandler, limit = 1024): number {
    const { control, mask, words } = this.views;
    const tail = Atomics.load(control, TAIL_SLOT);
    let head = this.head;
    let count = 0;
    while (head !== tail && count < limit) {
      const index = head & mask;
      const length = words[index >> 2] as number;
      const type = words[(index >> 2) + 1] as number;
      head = (head + alignRecord(length)) | 0;
      if (type === PADDING_TYPE) continue;
      handler(type, index + 8, length);
      count++;
    }
    if (head !== this.head) {
      this.head = head;
      Atomics.store(control, HEAD_SLOT, head);
      if (Atomics.load(control, PRODUCER_PARKED_SLOT) !== 0) Atomics.notify(control, HEAD_SLOT, 1);
    }
    return count;
  }

  isEmpty(): boolean {
    return Atomics.load(this.views.control, TAIL_SLOT) === this.head;
  }

  /** Bytes published and not yet consumed: the ring's occupancy. */
  occupancy(): number {
    return (Atomics.load(this.views.control, TAIL_SLOT) - this.head) >>> 0;
  }

  /**
   * Blocks this thread until a record is published or `timeoutMs` passes,
   * spinning `spins` checks first (a hand-off caught while spinning costs no
   * system call). True when a record is waiting.
   *
   * Why no wake-up is lost: we store PARKED = 1, then load tail, and sleep
   * only if tail still equals head, with Atomics.wait re-checking that value
   * atomically. The producer stores tail, then loads PARKED. Both are seq-cst,
   * so if the producer's load missed our flag, our load of tail came after its
   * store and we never sleep; otherwise it sees the flag and notifies.
   */
  waitForData(timeoutMs: number, spins = 2000, spinMicros = 0): boolean {
    const control = this.views.control;
    for (let i = 0; i < spins; i++) {
      if (Atomics.load(control, TAIL_SLOT) !== this.head) return true;
    }
    if (spinMicros > 0) {
      // Busy-poll on (a core kept hot for the next hand-off), checking the clock every 256 loads.
      const until = performance.now() + spinMicros / 1000;
      do {
        for (let i = 0; i < 256; i++) {
          if (Atomics.load(control, TAIL_SLOT) !== this.head) return true;
        }
      } while (performance.now() < until);
    }
    Atomics.store(control, CONSUMER_PARKED_SLOT, 1);
    if (Atomics.load(control, TAIL_SLOT) === this.head) Atomics.wait(control, TAIL_SLOT, this.head, timeoutMs);
    Atomics.store(control, CONSUMER_PARKED_SLOT, 0);
    return Atomics.load(control, TAIL_SLOT) !== this.head;
  }
}
