// What crosses the one thread boundary of the Node baseline, defined once for
// both sides. Everything is a plain object copied by postMessage's structured
// clone: that copy, and the JSON around it, is the cost the baseline exists to
// show next to tickflow's FlatBuffers rings.
//
//   main thread                                       analytics worker
//   ───────────                                       ────────────────
//   { kind: 'ticks', ticks: [BaselineTick...] } ───▶  PartitionEngine.process per tick
//   { kind: 'flush', id }                       ───▶  PartitionEngine.flush
//                    ◀─── { kind: 'results', batches, records: [WorkerRecord...] }
//                    ◀─── { kind: 'flushed', id, counters }

import type { AnalyticsConfig } from '../../src/analytics/analytics-config';
import type { DropReason } from '../../src/analytics/result-sink';
import type { TickValues } from '../../src/records/tick-fields';
import type { AlertRecord, BarRecord, IndicatorRecord } from '../../src/records/records';

/** A validated tick as the main thread posts it. Absent price, bid and ask are NaN; absent seq is -1. */
export interface BaselineTick extends TickValues {
  readonly symbol: string;
  readonly exchange: string;
  /** Where the tick came from, handed back with a dead letter (server: connection * 2^32 + index). */
  readonly origin: number;
}

/** An accepted tick in the shape tickflow sends on trades.<SYM> and quotes.<SYM> (absent fields left out). */
export interface TickData {
  readonly symbol: string;
  readonly event_type: string;
  readonly timestamp: number;
  readonly price?: number;
  readonly volume: number;
  readonly bid?: number;
  readonly ask?: number;
  readonly exchange?: string;
  readonly seq?: number;
}

/** Live echo of an accepted tick (the engine's echoTicks). */
export interface TickEcho {
  readonly type: 'tick';
  readonly trade: boolean;
  readonly data: TickData;
}

/** A tick the engine dropped: a duplicate, late, or a trade that would overflow a bar. */
export interface DroppedTick {
  readonly type: 'dropped';
  readonly reason: DropReason;
  readonly message: string;
  readonly origin: number;
}

export type WorkerRecord = BarRecord | IndicatorRecord | AlertRecord | TickEcho | DroppedTick;

export interface TicksMessage {
  readonly kind: 'ticks';
  readonly ticks: readonly BaselineTick[];
}

export interface FlushMessage {
  readonly kind: 'flush';
  readonly id: number;
}

export type ToWorker = TicksMessage | FlushMessage;

export interface ResultsMessage {
  readonly kind: 'results';
  /** How many 'ticks' messages this answers: 1 after a batch, 0 for a timer's forming bars and idle closes. */
  readonly batches: number;
  readonly records: readonly WorkerRecord[];
}

export interface FlushedMessage {
  readonly kind: 'flushed';
  readonly id: number;
  readonly counters: { readonly accepted: number; readonly duplicate: number; readonly late: number };
}

export type FromWorker = ResultsMessage | FlushedMessage;

export interface WorkerInit {
  readonly analytics: AnalyticsConfig;
}
