// The writing end of a ring (layout in ring-descriptor.ts). One thread only.

import {
  CONSUMER_PARKED_SLOT,
  HEAD_SLOT,
  PADDING_TYPE,
  PRODUCER_PARKED_SLOT,
  RING_FULL,
  TAIL_SLOT,
  alignRecord,
  maxPayloadLength,
  ringViews,
  type RingViews,
} from './ring-descriptor';

export class RingProducer {
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly maxPayload: number;
  private readonly views: RingViews;
  /** Next write position; published to TAIL_SLOT by publish(). */
  private tail: number;
  private published: number;
  /** Last head seen; reloaded only when the ring looks full (Agrona's headCache). */
  private headCache: number;
  /** Unpublished bytes past which claim() publishes first, so the consumer starts before a long batch ends. */
  private readonly publishAfter: number;

  constructor(buffer: SharedArrayBuffer) {
    this.views = ringViews(buffer);
    this.bytes = this.views.bytes;
    this.capacity = this.views.capacity;
    this.maxPayload = maxPayloadLength(this.capacity);
    this.tail = Atomics.load(this.views.control, TAIL_SLOT);
    this.published = this.tail;
    this.headCache = Atomics.load(this.views.control, HEAD_SLOT);
    this.publishAfter = this.capacity >> 4;
  }

  /**
   * Reserves a record of `length` payload bytes and writes its header. Returns
   * the index in `bytes` where the payload goes, or RING_FULL. The record is
   * invisible to the consumer until publish(), or until a later claim finds
   * a sixteenth of the ring unpublished and publishes the records before it.
   */
  claim(type: number, length: number): number {
    if ((this.tail - this.published) >>> 0 > this.publishAfter) this.publish();
    if (length > this.maxPayload || length < 0) {
      throw new RangeError(`record of ${length} bytes exceeds the ring's maximum of ${this.maxPayload}`);
    }
    const { capacity, mask, words } = this.views;
    const recordBytes = alignRecord(length);
    const index = this.tail & mask;
    const toEnd = capacity - index;
    const needed = recordBytes <= toEnd ? recordBytes : toEnd + recordBytes;
    if (needed > capacity - ((this.tail - this.headCache) >>> 0)) {
      this.headCache = Atomics.load(this.views.control, HEAD_SLOT);
      if (needed > capacity - ((this.tail - this.headCache) >>> 0)) return RING_FULL;
    }
    let at = index;
    if (recordBytes > toEnd) {
      words[index >> 2] = toEnd - 8;
      words[(index >> 2) + 1] = PADDING_TYPE;
      at = 0;
    }
    words[at >> 2] = length;
    words[(at >> 2) + 1] = type;
    this.tail = (this.tail + needed) | 0;
    return at + 8;
  }

  /** Copies `payload` into a new record; false when the ring is full. */
  write(type: number, payload: Uint8Array): boolean {
    const at = this.claim(type, payload.length);
    if (at === RING_FULL) return false;
    this.bytes.set(payload, at);
    return true;
  }

  /** Makes every claimed record visible and wakes a parked consumer; false when there was nothing to publish. */
  publish(): boolean {
    if (this.tail === this.published) return false;
    const control = this.views.control;
    Atomics.store(control, TAIL_SLOT, this.tail);
    this.published = this.tail;
    // Ordering: tail is stored (seq-cst) before the parked flag is loaded, and
    // the consumer stores its flag before re-loading tail, so one of the two
    // always sees the other: either we notify or it does not sleep.
    if (Atomics.load(control, CONSUMER_PARKED_SLOT) !== 0) Atomics.notify(control, TAIL_SLOT, 1);
    return true;
  }

  /** Bytes the consumer has not yet released (published or not). */
  used(): number {
    return (this.tail - Atomics.load(this.views.control, HEAD_SLOT)) >>> 0;
  }

  hasPending(): boolean {
    return this.tail !== this.published;
  }

  /**
   * Blocks this thread until a record of `length` bytes fits or `timeoutMs`
   * passes, spinning `spins` checks first. Publishes pending records first, or
   * the consumer could wait for them while we wait for it. True when it fits.
   */
  waitForSpace(length: number, timeoutMs: number, spins = 2000): boolean {
    this.publish();
    const control = this.views.control;
    const needed = 2 * alignRecord(length);
    for (let i = 0; i < spins; i++) {
      if (this.capacity - this.used() >= needed) return true;
    }
    Atomics.store(control, PRODUCER_PARKED_SLOT, 1);
    const head = Atomics.load(control, HEAD_SLOT);
    if (this.capacity - ((this.tail - head) >>> 0) < needed) Atomics.wait(control, HEAD_SLOT, head, timeoutMs);
    Atomics.store(control, PRODUCER_PARKED_SLOT, 0);
    return this.capacity - this.used() >= needed;
  }
}
