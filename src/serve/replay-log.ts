// The recent messages of every channel, for `resume`: one ring of the last
// `capacity` frames across all channels (memory is bounded by the server, not
// by how many channels exist). A resume scans it for the channel's frames
// after the client's last seq.

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
}

export class ReplayLog {
  private readonly channels: Array<LoggedChannel | undefined>;
  private readonly seqs: Float64Array;
  private readonly frames: Array<string | undefined>;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.channels = new Array<LoggedChannel | undefined>(capacity);
    this.seqs = new Float64Array(capacity);
    this.frames = new Array<string | undefined>(capacity);
  }

  append(channel: LoggedChannel, seq: number, frame: string): void {
    if (this.capacity === 0) return;
    this.channels[this.next] = channel;
    this.seqs[this.next] = seq;
    this.frames[this.next] = frame;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
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
      frames.push(this.frames[at] as string);
      lastSeq = seq;
    }
    const complete = afterSeq <= channel.seq && (first === afterSeq + 1 || (first === -1 && channel.seq === afterSeq));
    return { frames, complete, lastSeq };
  }
}
