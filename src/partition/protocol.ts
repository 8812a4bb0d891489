// Everything that crosses the thread boundary between the ingest thread and a
// partition worker, defined once for both sides.
//
//   ingest thread ──in-ring──▶ partition worker ──out-ring──▶ ingest thread
//   (TICK, REGISTER_NAME,        (owns its symbols'          (BAR, INDICATOR, ALERT,
//    FLUSH, RESET_WATERMARK,      state)                       DEAD_LETTER, FLUSHED,
//    STOP, ...)                                                WATERMARK_RESET_DONE, ...)
//
// Ring records carry FlatBuffers: RingTick, RegisterName, PartitionReport,
// FlushRequest, WatermarkReset and WatermarkResetDone from fbs/ring.fbs;
// CheckpointRequest and Chunk from fbs/checkpoint.fbs; Bar, Indicator, Alert
// and DeadLetter from fbs/records.fbs. STOP has an empty payload; IDLE_HOLD
// one byte. Start-up and failure notices, which are rare, go through
// postMessage as WorkerEvent.

import type { AnalyticsConfig } from '../analytics/analytics-config';

/** Ring record types; ring-descriptor reserves values <= 0. */
export const Msg = {
  TICK: 1,
  REGISTER_NAME: 2,
  /** Finalise the open windows of some or all symbols (FlushRequest); answer FLUSHED after the last. */
  FLUSH: 3,
  /** Finish: answer STOPPED and exit. */
  STOP: 4,
  /** Snapshot the named symbols (CheckpointRequest): answer CHECKPOINT_CHUNKs. */
  CHECKPOINT: 5,
  /** A piece of a PartitionCheckpoint to restore (Chunk): answer RESTORED after the last. */
  RESTORE_CHUNK: 6,
  /**
   * Hold (payload byte 1) or release (0) processing-time idle closing, for a
   * source that is catching up on a backlog: a symbol is not quiet just
   * because its ticks are still queued behind other symbols'.
   */
  IDLE_HOLD: 7,
  /** Put a symbol's event time back to the server's clock (WatermarkReset): answer WATERMARK_RESET_DONE. */
  RESET_WATERMARK: 8,
  BAR: 16,
  INDICATOR: 17,
  ALERT: 18,
  DEAD_LETTER: 19,
  FLUSHED: 20,
  STOPPED: 21,
  /** The worker failed; the payload is the error text in UTF-8 (not FlatBuffers). */
  FATAL: 22,
  /** Live mode: an accepted tick echoed back (RingTick with the latency probes set). */
  ACCEPTED_TICK: 23,
  /** A piece of the PartitionCheckpoint answering CHECKPOINT (Chunk). */
  CHECKPOINT_CHUNK: 24,
  /** A restore finished (CheckpointRequest with its id and no symbols). */
  RESTORED: 25,
  /** What a RESET_WATERMARK did (WatermarkResetDone). */
  WATERMARK_RESET_DONE: 26,
  /** Live mode: the tick just echoed was a correction (no payload), for the live counters. */
  CORRECTION: 27,
  /**
   * A CHECKPOINT's place among the results (its id, a little-endian uint32):
   * the results before it are those of the state it writes; its chunks may
   * come later (checkpoint-capture.ts).
   */
  CHECKPOINT_MARK: 28,
} as const;

export interface WorkerInit {
  readonly partition: number;
  readonly inRing: SharedArrayBuffer;
  readonly outRing: SharedArrayBuffer;
  /** Accepted ticks echoed back (ACCEPTED_TICK), apart from the other results. */
  readonly echoRing: SharedArrayBuffer;
  readonly analytics: AnalyticsConfig;
  /** The CPU to pin to, or null to leave the thread to the OS scheduler. */
  readonly pinCpu: number | null;
  /** Rung after publishing results, when the ingest thread waits on several rings (serve). */
  readonly doorbell: SharedArrayBuffer | null;
  /** Microseconds to keep polling an empty in-ring before parking. */
  readonly idleSpinUs: number;
}

export type WorkerEvent =
  | { readonly kind: 'ready'; readonly partition: number; readonly pinnedCpu: number | null; readonly warning: string | null }
  | { readonly kind: 'fatal'; readonly partition: number; readonly message: string };
