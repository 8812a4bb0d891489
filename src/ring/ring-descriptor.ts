// Memory layout of a single-producer/single-consumer ring buffer in a
// SharedArrayBuffer. Both threads import this module; nothing else knows the
// offsets. The behaviour lives in ring-producer.ts and ring-consumer.ts.
//
//  byte 0                128               256               384
//  +-----------------+-----------------+-----------------+------------------------------+
//  | producer lines  | consumer lines  | constant lines  | data: capacity bytes (2^n)   |
//  | tail, p-parked  | head, c-parked  | capacity        | records, 8-byte aligned      |
//  +-----------------+-----------------+-----------------+------------------------------+
//
// Each group owns two 64-byte cache lines, so the counter one thread writes
// never shares a line (or an adjacent-line prefetch pair) with the counter the
// other thread writes.
//
// tail and head are byte positions that only grow, modulo 2^32 (int32 wrap);
// position & (capacity - 1) is the index into data. tail - head is the number
// of bytes in use. The producer alone writes tail, the consumer alone head.
//
// A record:
//
//  +--------------+--------------+-------------------------------+---------+
//  | length: i32  | type: i32    | payload: length bytes         | pad to 8|
//  +--------------+--------------+-------------------------------+---------+
//
// A record never wraps: when it does not fit before the end of data, the
// producer fills the rest with a padding record (type PADDING_TYPE) and writes
// the record at index 0. A record is published by release-storing tail after
// its bytes are written; the consumer acquire-loads tail before reading them.
// Header integers are in host byte order (both ends are the same process).

export const CACHE_LINE_BYTES = 64;
const GROUP_BYTES = 2 * CACHE_LINE_BYTES;

/** Int32 slot indexes into the control area. */
export const TAIL_SLOT = 0;
export const PRODUCER_PARKED_SLOT = 1;
export const HEAD_SLOT = GROUP_BYTES / 4;
export const CONSUMER_PARKED_SLOT = HEAD_SLOT + 1;
export const CAPACITY_SLOT = (2 * GROUP_BYTES) / 4;

export const CONTROL_BYTES = 3 * GROUP_BYTES;
export const RECORD_HEADER_BYTES = 8;
export const RECORD_ALIGNMENT = 8;
/** Record type of the filler written before a wrap. Message types are > 0. */
export const PADDING_TYPE = -1;
/** Sentinel returned by RingProducer.claim when the ring has no room now. */
export const RING_FULL = -1;

export const MIN_CAPACITY = 1024;
export const MAX_CAPACITY = 1 << 30;

export function alignRecord(payloadLength: number): number {
  return (RECORD_HEADER_BYTES + payloadLength + RECORD_ALIGNMENT - 1) & ~(RECORD_ALIGNMENT - 1);
}

/** Largest payload a ring of this capacity accepts: an eighth, as Agrona does. */
export function maxPayloadLength(capacity: number): number {
  return capacity / 8 - RECORD_HEADER_BYTES;
}

export function roundUpToPowerOfTwo(bytes: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < bytes && capacity < MAX_CAPACITY) capacity *= 2;
  return capacity;
}

/** A new ring of at least `bytes` of data (rounded up to a power of two). */
export function createRing(bytes: number): SharedArrayBuffer {
  const capacity = roundUpToPowerOfTwo(bytes);
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + capacity);
  new Int32Array(buffer, 0, CONTROL_BYTES / 4)[CAPACITY_SLOT] = capacity;
  return buffer;
}

export interface RingViews {
  readonly capacity: number;
  readonly mask: number;
  /** The control area, for Atomics. */
  readonly control: Int32Array;
  /** The data area as bytes (payloads) and as int32s (record headers). */
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

export function ringViews(buffer: SharedArrayBuffer): RingViews {
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  const capacity = control[CAPACITY_SLOT] ?? 0;
  if (capacity < MIN_CAPACITY || (capacity & (capacity - 1)) !== 0 || buffer.byteLength !== CONTROL_BYTES + capacity) {
    throw new RangeError(`not a ring buffer: capacity slot holds ${capacity}, buffer has ${buffer.byteLength} bytes`);
  }
  return {
    capacity,
    mask: capacity - 1,
    control,
    bytes: new Uint8Array(buffer, CONTROL_BYTES, capacity),
    words: new Int32Array(buffer, CONTROL_BYTES, capacity / 4),
  };
}
