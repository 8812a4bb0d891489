// The inline placement: one PartitionCore on the event-loop thread, fed
// through the same rings as a worker would be. run() is called right after
// ticks are dispatched, so a tick's results are in the out-ring, and drained
// to subscribers, within the same event-loop turn.
//
// The rings cost an encode and a decode per tick, far below the wake-up of a
// parked thread they replace (docs/benchmarks.md, the live scenario); keeping
// them means one code path for both placements.

import type { AnalyticsConfig } from '../analytics/analytics-config';
import { createRing } from '../ring/ring-descriptor';
import { RingConsumer } from '../ring/ring-consumer';
import { RingProducer } from '../ring/ring-producer';
import { SLICE_MS } from './checkpoint-capture';
import { PartitionCore } from './partition-core';
import { echoRingBytes, type PartitionHost, type PartitionInfo } from './partition-host';

/** Records handled between publishes of the out-ring. */
const BATCH = 256;

export class InlineHost implements PartitionHost {
  readonly placement = 'inline';
  readonly threads = 0;
  readonly inputs: RingProducer[];
  readonly outputs: RingConsumer[];
  readonly echoes: RingConsumer[];
  readonly info: PartitionInfo[] = [{ partition: 0, pinnedCpu: null }];
  readonly warnings: string[] = [];
  private readonly core: PartitionCore;
  private readonly output: RingProducer;
  private readonly echo: RingProducer;
  private running = false;
  private error: Error | undefined;
  /** A turn of checkpoint work is queued (setImmediate). */
  private resuming = false;

  /**
   * `drain` empties the out-ring into the results' visitor (called when it
   * is full); `drainLater` hands on results after a turn of checkpoint work.
   */
  constructor(
    ringBytes: number,
    analytics: AnalyticsConfig,
    drain: () => void,
    private readonly drainLater: () => void = drain,
  ) {
    const inRing = createRing(ringBytes);
    const outRing = createRing(ringBytes);
    const echoRing = createRing(echoRingBytes(ringBytes, analytics));
    this.inputs = [new RingProducer(inRing)];
    this.outputs = [new RingConsumer(outRing)];
    this.echoes = [new RingConsumer(echoRing)];
    this.output = new RingProducer(outRing);
    this.echo = new RingProducer(echoRing);
    this.core = new PartitionCore(0, analytics, new RingConsumer(inRing), this.output, this.echo, () => {
      this.publishResults();
      drain();
    });
  }

  private publishResults(): void {
    this.echo.publish();
    this.output.publish();
  }

  get failed(): Error | undefined {
    return this.error;
  }

  run(): void {
    this.exclusively(() => {
      while (this.core.poll(BATCH) > 0) this.publishResults();
      // As a worker does after each batch: forming bars due go out now, a
      // few at a time, rather than all at the next timer.
      if (this.core.live) this.core.maintain(Date.now());
    });
    this.resumeCheckpoint();
  }

  /**
   * Runs `work` on the core and publishes what it wrote; false, doing
   * nothing, while the core is already running (a drain inside it, with a
   * full out-ring, never dispatches, but the core is not re-entrant) or
   * failed. An error stops the engine, as a worker's FATAL record would.
   */
  private exclusively(work: () => void): boolean {
    if (this.running || this.error !== undefined) return false;
    this.running = true;
    try {
      work();
      this.publishResults();
    } catch (err) {
      this.error = err as Error;
    } finally {
      this.running = false;
    }
    return true;
  }

  /**
   * A checkpoint in progress moves on a slice at a time in later turns of
   * the event loop, after what this turn's ticks produced has gone out.
   */
  private resumeCheckpoint(): void {
    if (this.resuming || this.error !== undefined || !this.core.checkpointing) return;
    this.resuming = true;
    setImmediate(this.checkpointTurn);
  }

  private readonly checkpointTurn = (): void => {
    this.resuming = false;
    if (!this.exclusively(() => this.core.checkpointSlice(SLICE_MS))) return;
    this.drainLater();
    this.resumeCheckpoint();
  };

  maintain(now: number): void {
    this.exclusively(() => this.core.maintain(now));
    this.resumeCheckpoint();
  }

  stop(): Promise<void> {
    this.run();
    return Promise.resolve();
  }

  terminate(): Promise<void> {
    return Promise.resolve();
  }
}
