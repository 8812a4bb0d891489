// One wake-up for a thread that consumes several rings: the ingest thread
// drains every partition's out-ring and cannot Atomics.wait on all their tails
// at once. A producer that published rings the bell; the consumer, when every
// ring is empty, parks on the bell with Atomics.waitAsync so that its event
// loop keeps running.
//
// Race-freedom is the ring's argument again: the consumer stores PARKED = 1,
// re-checks its rings, then waits for COUNT to change; a producer publishes,
// then loads PARKED and, if set, bumps COUNT and notifies. Either the
// producer sees the flag or the consumer's re-check sees the record.

import { CACHE_LINE_BYTES } from './ring-descriptor';

const PARKED = 0;
const COUNT = 1;

export function createDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * CACHE_LINE_BYTES);
}

export class Doorbell {
  private readonly cells: Int32Array;
  /** What the parked consumer runs when woken. */
  private then: () => void = () => undefined;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, 2);
  }

  /** Producer side, after a publish: wakes the consumer if it is parked. */
  ring(): void {
    if (Atomics.load(this.cells, PARKED) === 0) return;
    Atomics.add(this.cells, COUNT, 1);
    Atomics.notify(this.cells, COUNT);
  }

  /**
   * Consumer side: calls `then` (never synchronously) once a producer rings,
   * when `hasWork` is already true after parking, or after `timeoutMs`. A
   * callback rather than a promise: the consumer parks thousands of times a
   * second, and each async round made several short-lived objects.
   */
  park(hasWork: () => boolean, timeoutMs: number, then: () => void): void {
    const count = Atomics.load(this.cells, COUNT);
    Atomics.store(this.cells, PARKED, 1);
    const result = hasWork() ? null : Atomics.waitAsync(this.cells, COUNT, count, timeoutMs);
    if (result === null || !result.async) {
      Atomics.store(this.cells, PARKED, 0);
      setImmediate(then);
      return;
    }
    this.then = then;
    void result.value.then(this.woken);
  }

  private readonly woken = (): void => {
    Atomics.store(this.cells, PARKED, 0);
    this.then();
  };
}
