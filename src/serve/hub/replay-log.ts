// The recent messages of every channel, for `resume`: one log of the last
// `capacity` frames across all channels (memory is bounded by the server, not
// by how many channels exist). A resume scans it for the channel's frames
// after the client's last seq.
//
// The frames are kept as UTF-8 in one byte arena outside the JavaScript heap,
// not as strings: every frame lives for seconds, long enough to survive the
// young generation, so strings would be copied by each scavenge, promoted,
// and then collected by a major GC. Those collections paused the event loop,
// which delivers every message, for several milliseconds at a time. The arena
// holds `capacity` frames of up to BYTES_PER_FRAME on average (and at least
// 64 KiB); when bigger frames fill it first, the oldest are dropped sooner.

import { copyBytes } from '../../records/json-bytes';

export interface LoggedChannel {
  readonly name: string;
  seq: number;
}

export interface Recovered {
  readonly frames: string[];
  /** True when no message of the channel after `afterSeq` is missing from `frames`. */
  readonly complete: boolean;
  /** The last seq in `frames`, or afterSeq when empty. */
  readonly lastSeq: number;
  /** The first seq in `frames`, or 0 when empty. */
  readonly firstSeq: number;
}

/** Arena bytes per frame of capacity: a bar frame is about 250 bytes, a trade 150. */
export const BYTES_PER_FRAME = 256;
/** A small log still holds its `capacity` frames of any ordinary size. */
const MIN_ARENA_BYTES = 64 * 1024;

export class ReplayLog {
  private readonly channels: Array<LoggedChannel | undefined>;
  private readonly seqs: Float64Array;
  private readonly offsets: Uint32Array;
  private readonly lengths: Uint32Array;
  private readonly arena: Buffer;
  /** The entry slot of the next frame; the oldest is `size` slots before it. */
  private next = 0;
  private size = 0;
  /** Where the next frame's bytes go; frames never wrap around the arena's end. */
  private head = 0;

  constructor(readonly capacity: number) {
    this.channels = new Array<LoggedChannel | undefined>(capacity);
    this.seqs = new Float64Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.arena = Buffer.allocUnsafeSlow(capacity === 0 ? 0 : Math.max(capacity * BYTES_PER_FRAME, MIN_ARENA_BYTES));
  }

  /** Logs frame bytes[start, end) (UTF-8) as message `seq` of `channel`. */
  append(channel: LoggedChannel, seq: number, bytes: Uint8Array, start: number, end: number): void {
    if (this.capacity === 0) return;
    const length = end - start;
    if (length > this.arena.length) {
      // Cannot be kept: a resume past it finds the gap and says recovered: false.
      return;
    }
    let at = this.head;
    if (at + length > this.arena.length) {
      // Skip the arena's end: what is still there is older than anything at its start.
      while (this.size > 0 && this.offsetOfOldest() >= at) this.dropOldest();
      at = 0;
    }
    while (this.size > 0 && this.overlapsOldest(at, at + length)) this.dropOldest();
    if (this.size === this.capacity) this.dropOldest();
    copyBytes(bytes, start, end, this.arena, at);
    const slot = this.next;
    this.channels[slot] = channel;
    this.seqs[slot] = seq;
    this.offsets[slot] = at;
    this.lengths[slot] = length;
    this.next = (slot + 1) % this.capacity;
    this.size++;
    this.head = at + length;
  }

  /** The channel's logged frames with seq > afterSeq, oldest first. */
  after(channel: LoggedChannel, afterSeq: number): Recovered {
    const frames: string[] = [];
    let first = -1;
    let lastSeq = afterSeq;
    for (let i = 0; i < this.size; i++) {
      const at = (this.next - this.size + i + this.capacity) % this.capacity;
      if (this.channels[at] !== channel) continue;
      const seq = this.seqs[at] as number;
      if (seq <= afterSeq) continue;
      if (first === -1) first = seq;
      const offset = this.offsets[at] as number;
      frames.push(this.arena.toString('utf8', offset, offset + (this.lengths[at] as number)));
      lastSeq = seq;
    }
    const complete = afterSeq <= channel.seq && (first === afterSeq + 1 || (first === -1 && channel.seq === afterSeq));
    return { frames, complete, lastSeq, firstSeq: first === -1 ? 0 : first };
  }

  private oldestSlot(): number {
    return (this.next - this.size + this.capacity) % this.capacity;
  }

  private offsetOfOldest(): number {
    return this.offsets[this.oldestSlot()] as number;
  }

  private overlapsOldest(start: number, end: number): boolean {
    const slot = this.oldestSlot();
    const offset = this.offsets[slot] as number;
    return offset < end && offset + (this.lengths[slot] as number) > start;
  }

  private dropOldest(): void {
    this.channels[this.oldestSlot()] = undefined;
    this.size--;
  }
}
