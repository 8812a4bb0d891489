// Where the partition engines run: the placement. Either way the engine talks
// to them through the same rings (an in-ring and an out-ring per partition),
// so dispatch, results, flushes, checkpoints and restores are one code path.
//
//   inline       one PartitionCore on the event-loop thread: a tick goes from
//                the socket through analytics to its subscribers without
//                leaving the thread (no wake-up of another core to wait for)
//   partitioned  one pinned worker thread per partition (partition-pool.ts):
//                throughput from more cores, at the price of two thread hops

import type { AnalyticsConfig } from '../analytics/analytics-config';
import { MIN_CAPACITY } from '../ring/ring-descriptor';
import type { RingConsumer } from '../ring/ring-consumer';
import type { RingProducer } from '../ring/ring-producer';

export type Placement = 'inline' | 'partitioned';

export interface PartitionInfo {
  readonly partition: number;
  readonly pinnedCpu: number | null;
}

export interface PartitionHost {
  readonly placement: Placement;
  /** Worker threads: 0 inline. */
  readonly threads: number;
  readonly inputs: readonly RingProducer[];
  /** Results: bars, indicators, alerts, dead letters, and answers to control records. */
  readonly outputs: readonly RingConsumer[];
  /** Accepted ticks echoed back for the trades and quotes channels (`serve`). */
  readonly echoes: readonly RingConsumer[];
  readonly info: readonly PartitionInfo[];
  readonly warnings: readonly string[];
  /** Set once a partition failed; the caller should stop. */
  readonly failed: Error | undefined;
  /**
   * Runs what was published to the in-rings. Inline: handles every record
   * now, on this thread. Partitioned: nothing (the workers were woken).
   */
  run(): void;
  /** Clock-driven work (forming bars, idle closing); the workers do their own. */
  maintain(now: number): void;
  /** Finishes every partition's queue and stops it. */
  stop(): Promise<void>;
  /** Immediate stop, for failures. */
  terminate(): Promise<void>;
}

/** An echo ring as large as the others when ticks are echoed (`serve`), else the smallest ring. */
export function echoRingBytes(ringBytes: number, analytics: AnalyticsConfig): number {
  return analytics.echoTicks ? ringBytes : MIN_CAPACITY;
}
