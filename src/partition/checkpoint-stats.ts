// What checkpoints and restores cost, for /metrics: the bytes of each
// checkpoint (a delta holds only what changed since the one before), how
// long it took to answer, the longest any partition was held making its part
// (the engine's pause for that checkpoint), the state it held in all and per
// symbol (what a full checkpoint of it takes), and how long restores took. Cumulative
// histograms with fixed bounds, as Prometheus reads them.

export class Buckets {
  /** Observations at or below each bound (cumulative), then the count, sum and largest. */
  readonly counts: number[];
  count = 0;
  sum = 0;
  max = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    for (let i = 0; i < this.bounds.length; i++) if (value <= (this.bounds[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }
}

const MIB = 1024 * 1024;

export class CheckpointStats {
  readonly bytes = new Buckets([MIB / 16, MIB / 4, MIB, 4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB]);
  readonly seconds = new Buckets([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60]);
  readonly heldSeconds = new Buckets([0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]);
  readonly restoreSeconds = new Buckets([0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60]);
  /** The state at the latest checkpoint: the bytes a full checkpoint of it takes, and its symbols. */
  lastBytes = 0;
  lastSymbols = 0;
  /** Checkpoints written as deltas on the one before. */
  deltas = 0;

  checkpointed(c: { bytes: number; stateBytes: number; symbols: number; seconds: number; heldSeconds: number; delta: boolean }): void {
    this.bytes.observe(c.bytes);
    this.seconds.observe(c.seconds);
    this.heldSeconds.observe(c.heldSeconds);
    this.lastBytes = c.stateBytes;
    this.lastSymbols = c.symbols;
    if (c.delta) this.deltas++;
  }

  restored(seconds: number): void {
    this.restoreSeconds.observe(seconds);
  }
}
