// Everything that crosses a thread boundary of the store, defined once for
// both sides.
//
//   main thread (Store facade)                    writer thread (store-writer)
//   ── WriterInit (workerData) ──────────────────▶ open, migrate, first sweep
//   ◀───────────────── sweep {counts, cutoff}      (the first sweep deleted rows)
//   ◀──────────────────────────── ready | open-failed
//   ── batch {id, records[≤1000]} ──────────────▶ one transaction
//   ◀──────────────────────── batch-done {id, …}   (exactly one per batch, in order)
//   ◀───────────────── sweep {counts, cutoff}      (a later sweep deleted rows)
//   ◀────────────────────────────────── error      (retention sweep failed)
//   ── close ────────────────────────────────────▶ close the database
//   ◀───────────────────────────────── closed      then the thread exits
//
//   main thread ── ReadTask (piscina run) ──────▶ reader thread (store-reader-task)
//               ◀─────────── ReadResults[op] ────  one read-only connection per thread
//
// Records travel by structured clone, which keeps their key order.

import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../records/records';

/** One record handed to Store.write; `seq` is the record's WebSocket channel sequence number. */
export type StoredRecord =
  | { readonly kind: 'bar'; readonly channel: string; readonly seq: number; readonly record: BarRecord }
  | { readonly kind: 'indicator'; readonly channel: string; readonly seq: number; readonly record: IndicatorRecord }
  | { readonly kind: 'alert'; readonly channel: string; readonly seq: number; readonly record: AlertRecord; readonly origin: string }
  | { readonly kind: 'dead_letter'; readonly record: DeadLetterRecord; readonly receivedAt: number }
  /**
   * Engine state and the source position it corresponds to, committed after
   * every result written before it (the queue is FIFO), so a restore from it
   * regenerates nothing that was lost and only what was already stored.
   */
  | {
      readonly kind: 'checkpoint';
      readonly source: string;
      readonly position: string;
      readonly state: Uint8Array;
      /** Incremental: keep this and the checkpoints before it up to this many in all. Absent: the one checkpoint of the source. */
      readonly keep?: number;
    };

/** The writer thread's workerData. */
export interface WriterInit {
  /** Absolute path of the database file. */
  readonly path: string;
  /** 0 keeps records forever. */
  readonly retentionMs: number;
  /** Milliseconds between the sweeps after the first. */
  readonly sweepIntervalMs: number;
  /** Queue each newly stored final record and dead letter in the outbox for the Kafka mirror. */
  readonly outbox: boolean;
}

export type ToWriter =
  { readonly kind: 'batch'; readonly id: number; readonly records: readonly StoredRecord[] } | { readonly kind: 'close' };

/** Rows retention deleted, per table. */
export interface RetentionCounts {
  readonly bars: number;
  readonly indicators: number;
  readonly alerts: number;
  readonly deadLetters: number;
}

/**
 * What one retention sweep deleted: bars, indicators and alerts stored, and
 * dead letters received, before `cutoff` (writer wall clock, ms since the
 * epoch). Sent only for sweeps that deleted at least one row.
 */
export interface RetentionSweep extends RetentionCounts {
  readonly cutoff: number;
}

export type FromWriter =
  /** `epoch`: of the stored channels' seqs (store-epoch.ts). */
  | { readonly kind: 'ready'; readonly schemaVersion: number; readonly epoch: string }
  | { readonly kind: 'open-failed'; readonly message: string }
  /** `failed` records were not stored; `error` says why (null when all were stored). */
  | {
      readonly kind: 'batch-done';
      readonly id: number;
      readonly stored: number;
      readonly failed: number;
      readonly ms: number;
      readonly error: string | null;
    }
  | { readonly kind: 'sweep'; readonly sweep: RetentionSweep }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'closed'; readonly error: string | null };

/** A reader thread's workerData (piscina passes its `workerData` option through). */
export interface ReaderInit {
  readonly path: string;
}

/** The tables that hold a WebSocket channel's records. */
export type ChannelTable = 'bars' | 'indicators' | 'alerts';

/** Time bounds are [from, to); limits are already clamped by the facade. */
export type ReadTask =
  | {
      readonly op: 'bars';
      readonly symbol: string;
      readonly interval: string;
      readonly from: number;
      readonly to: number;
      readonly limit: number;
    }
  | {
      readonly op: 'alerts';
      readonly symbol: string | null;
      readonly anomalyType: string | null;
      readonly from: number;
      readonly to: number;
      readonly limit: number;
    }
  | { readonly op: 'dead-letters'; readonly from: number; readonly to: number; readonly limit: number }
  /** A channel's records after `afterSeq`, or (`last`) its newest `limit` records; ascending seq either way. */
  | {
      readonly op: 'channel';
      readonly table: ChannelTable;
      readonly channel: string;
      readonly afterSeq: number;
      readonly limit: number;
      readonly last?: boolean;
    }
  | { readonly op: 'max-seq' }
  | { readonly op: 'swept'; readonly channel: string }
  | { readonly op: 'checkpoint'; readonly source: string };

export type ReadTaskOf<K extends ReadTask['op']> = Extract<ReadTask, { readonly op: K }>;

export interface ChannelEntry {
  readonly seq: number;
  readonly record: BarRecord | IndicatorRecord | AlertRecord;
}

export interface StoredDeadLetter {
  readonly receivedAt: number;
  readonly record: DeadLetterRecord;
}

export interface ReadResults {
  readonly bars: BarRecord[];
  readonly alerts: AlertRecord[];
  readonly 'dead-letters': StoredDeadLetter[];
  readonly channel: ChannelEntry[];
  /** [channel, highest seq ever stored], sorted by channel. */
  readonly 'max-seq': Array<[string, number]>;
  /** The highest seq of the channel that retention removed (0: none). */
  readonly swept: number;
  /** The latest checkpoint of a source, or null. */
  readonly checkpoint: StoredCheckpoint | null;
}

export interface StoredCheckpoint {
  /** Where the source reads on: the latest checkpoint's position. */
  readonly position: string;
  /** The checkpoints kept, oldest first: restored in this order. */
  readonly states: readonly Uint8Array[];
  /** When the latest was written. */
  readonly createdAt: number;
}

export type ReadResult = ReadResults[keyof ReadResults];
