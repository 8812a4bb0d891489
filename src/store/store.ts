// The embedded SQLite store, as the main thread sees it. The main thread runs
// the WebSocket fan-out, so it never touches the database: writes are queued
// here and posted in batches to one writer thread, queries run on a piscina
// pool of read-only connections.
//
//   write() ──▶ WriteQueue ──(≥1000 queued, or flushIntervalMs)──▶ batch ──▶ writer thread
//               bounded,      at most MAX_BATCHES_IN_FLIGHT unacknowledged      one transaction
//               coalescing    ◀──────────────────── batch-done ─────────────────┘
//   query*() ──▶ piscina.run ──▶ reader thread (read-only connection, WAL snapshot)
//
// Batches are acknowledged in order, so "everything written before flush()
// is settled" is "the batch that took the newest record at that moment has
// been acknowledged" (positions: see write-queue.ts).

import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { StoreError } from '../errors';
import type { AlertRecord, BarRecord } from '../records/records';
import {
  alertTask,
  barTask,
  channelTailTask,
  channelTask,
  deadLetterTask,
  type AlertQuery,
  type BarQuery,
  type DeadLetterQuery,
} from './read-query';
import { BATCH_RECORDS, storeSettings, type StoreOptions, type StoreSettings, type SweepListener } from './store-options';
import type {
  ChannelEntry,
  FromWriter,
  ReaderInit,
  ReadResult,
  ReadResults,
  ReadTask,
  RetentionCounts,
  RetentionSweep,
  StoredCheckpoint,
  StoredDeadLetter,
  StoredRecord,
  ToWriter,
  WriterInit,
} from './store-protocol';
import { boundDeadLetter } from './dead-letter-text';
import { WriteQueue } from './write-queue';
import { writerReady, type WriterReady } from './writer-ready';

export type { AlertQuery, BarQuery, DeadLetterQuery } from './read-query';
export type { StoreOptions, SweepListener } from './store-options';
export type { ChannelEntry, RetentionCounts, RetentionSweep, StoredDeadLetter, StoredRecord } from './store-protocol';

export interface StoreStats {
  /** Records written and not yet settled: queued here plus posted to the writer. */
  readonly pendingWrites: number;
  /** Batches committed (possibly without records the retry could not store; see failedRecords). */
  readonly committedBatches: number;
  /** Batches of which nothing could be stored, after one retry. */
  readonly failedBatches: number;
  /** Milliseconds the writer spent on the last committed batch. */
  readonly lastCommitMs: number;
  /** Records the writer could not store (in failed batches, or rejected one by one in a retry). */
  readonly failedRecords: number;
  /** Records never posted: the oldest queued ones past maxPendingWrites, and writes after close() or after the writer stopped. */
  readonly droppedWrites: number;
  /** Bar and indicator writes that replaced a still-queued write of the same key. */
  readonly coalescedWrites: number;
  /** Rows retention deleted since open, per table, the sweep that ran while opening included. */
  readonly retentionDeleted: RetentionCounts;
}

export type StoreErrorListener = (error: StoreError) => void;

const WRITER_FILE = join(__dirname, 'store-writer.js');
const READER_FILE = join(__dirname, 'store-reader-task.js');

/**
 * Batches posted and not yet acknowledged. Enough to keep the writer busy
 * while the main thread is; records beyond it wait in the WriteQueue, where
 * they can still be coalesced and bounded (the writer's port can do neither).
 */
const MAX_BATCHES_IN_FLIGHT = 4;

interface InFlight {
  readonly id: number;
  /** Absolute queue position just past the batch's last record. */
  readonly end: number;
  readonly count: number;
}

interface FlushWaiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: StoreError) => void;
}

/**
 * A dead letter with its input text cut to the store's bound
 * (dead-letter-text.ts). Cut here rather than in the writer thread, so the
 * queue and the batches posted to the writer never hold more of it either.
 */
function bounded(entry: Extract<StoredRecord, { kind: 'dead_letter' }>): StoredRecord {
  const record = boundDeadLetter(entry.record);
  return record === entry.record ? entry : { ...entry, record };
}

export class Store {
  readonly path: string;
  /** The schema version of the open file (migrations.ts). */
  readonly schemaVersion: number;
  /**
   * The epoch of the stored channels' seqs: the same after a clean restart,
   * another after a run that did not close cleanly or for another file
   * (store-epoch.ts).
   */
  readonly epoch: string;
  private readonly queue: WriteQueue;
  private readonly inFlight: InFlight[] = [];
  private inFlightRecords = 0;
  private nextBatchId = 1;
  /** Absolute queue position before which every record is committed, failed or dropped. */
  private settled = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Post short batches too: the flush interval passed, or flush() or close() is waiting. */
  private draining = false;
  private readonly waiters: FlushWaiter[] = [];
  private readonly listeners = new Set<StoreErrorListener>();
  private readonly sweepListeners = new Set<SweepListener>();
  /** Running totals of every sweep's counts; stats() hands out copies. */
  private readonly retentionDeleted = { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 };
  private accepting = true;
  private closeRequested = false;
  private closing: Promise<void> | null = null;
  private closeError: StoreError | null = null;
  /** Set when the writer thread is gone; the store then only answers queries. */
  private broken: StoreError | null = null;
  private committedBatches = 0;
  private failedBatches = 0;
  private failedRecords = 0;
  private lastCommitMs = 0;
  private droppedUnqueued = 0;

  private constructor(
    private readonly settings: StoreSettings,
    ready: WriterReady,
    private readonly writer: Worker,
    private readonly readers: Piscina<ReadTask, ReadResult>,
  ) {
    this.path = settings.path;
    this.schemaVersion = ready.schemaVersion;
    this.epoch = ready.epoch;
    this.queue = new WriteQueue(settings.maxPendingWrites);
    // The opening sweep was already heard by settings.onSweep (writerReady); only count it.
    if (ready.firstSweep !== null) this.count(ready.firstSweep);
    if (settings.onSweep !== null) this.sweepListeners.add(settings.onSweep);
    writer.on('message', (message: FromWriter) => this.onWriterMessage(message));
    writer.on('error', (error: Error) => {
      this.fail(`the store writer thread for ${this.path} failed: ${error.message}; writes are no longer stored, restart tickflow`);
    });
    writer.on('exit', (code: number) => {
      if (!this.closeRequested)
        this.fail(`the store writer thread for ${this.path} stopped (exit code ${code}); writes are no longer stored, restart tickflow`);
    });
  }

  /** Opens (creating and migrating in the writer thread) the file, then starts the reader threads. */
  static async open(options: StoreOptions): Promise<Store> {
    const settings = storeSettings(options);
    const init: WriterInit = {
      path: settings.path,
      retentionMs: settings.retentionMs,
      sweepIntervalMs: settings.sweepIntervalMs,
      outbox: settings.outbox,
    };
    const writer = new Worker(WRITER_FILE, { workerData: init });
    const ready = await writerReady(writer, settings.path, settings.onSweep);
    const readerInit: ReaderInit = { path: settings.path };
    let readers: Piscina<ReadTask, ReadResult>;
    try {
      readers = new Piscina<ReadTask, ReadResult>({
        filename: READER_FILE,
        minThreads: settings.readers,
        maxThreads: settings.readers,
        workerData: readerInit,
      });
    } catch (error) {
      const exited = once(writer, 'exit');
      const close: ToWriter = { kind: 'close' };
      writer.postMessage(close);
      await exited;
      throw new StoreError(
        `cannot start the store reader threads for ${settings.path}: ${(error as Error).message}; reinstall tickflow ` +
          `(npm run build) and retry`,
      );
    }
    return new Store(settings, ready, writer, readers);
  }

  /** Queues a record; never throws and never blocks. After close() the record is dropped and counted. */
  write(record: StoredRecord): void {
    if (!this.accepting || this.broken !== null) {
      this.droppedUnqueued++;
      return;
    }
    this.queue.push(record.kind === 'dead_letter' ? bounded(record) : record);
    if (this.queue.length >= BATCH_RECORDS) this.pump();
    else if (this.timer === null) this.timer = setTimeout(this.onTimer, this.settings.flushIntervalMs);
  }

  /**
   * Resolves once every record written before the call is settled: committed,
   * or reported through onError and counted in stats(). Rejects only when the
   * writer thread is gone.
   */
  flush(): Promise<void> {
    if (this.broken !== null) return Promise.reject(this.broken);
    if (this.queue.length === 0 && this.inFlight.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ target: this.queue.end, resolve, reject });
      this.draining = true;
      this.pump();
    });
  }

  /** Final bars of one symbol and interval, ascending window_start. */
  queryBars(query: BarQuery): Promise<BarRecord[]> {
    return this.read(() => barTask(query));
  }

  /** Alerts, ascending timestamp. */
  queryAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    return this.read(() => alertTask(query));
  }

  /** Dead letters, ascending receivedAt. */
  queryDeadLetters(query: DeadLetterQuery): Promise<StoredDeadLetter[]> {
    return this.read(() => deadLetterTask(query));
  }

  /**
   * A channel's stored records with seq > afterSeq, ascending seq, to fill a
   * resume gap. Empty for channels the store does not keep (trades, quotes).
   */
  async queryChannel(channel: string, afterSeq: number, limit: number): Promise<ChannelEntry[]> {
    const task = channelTask(channel, afterSeq, limit);
    return task === null ? [] : this.read(() => task);
  }

  /** A channel's newest `limit` stored records, ascending seq (history on subscribe); empty for trades and quotes. */
  async queryChannelTail(channel: string, limit: number): Promise<ChannelEntry[]> {
    const task = channelTailTask(channel, limit);
    return task === null ? [] : this.read(() => task);
  }

  /**
   * The highest seq ever stored per channel. Kept apart from the records, so
   * it survives retention and a channel's seqs continue after a restart.
   */
  async maxSeqByChannel(): Promise<Map<string, number>> {
    return new Map(await this.read(() => ({ op: 'max-seq' as const })));
  }

  /** The highest seq of a channel that retention removed (0: none): a resume from before it cannot be recovered. */
  sweptSeq(channel: string): Promise<number> {
    return this.read(() => ({ op: 'swept' as const, channel }));
  }

  /** The latest checkpoint written for `source`, or null. */
  loadCheckpoint(source: string): Promise<StoredCheckpoint | null> {
    return this.read(() => ({ op: 'checkpoint' as const, source }));
  }

  stats(): StoreStats {
    return {
      pendingWrites: this.queue.length + this.inFlightRecords,
      committedBatches: this.committedBatches,
      failedBatches: this.failedBatches,
      lastCommitMs: this.lastCommitMs,
      failedRecords: this.failedRecords,
      droppedWrites: this.queue.dropped + this.droppedUnqueued,
      coalescedWrites: this.queue.coalesced,
      retentionDeleted: { ...this.retentionDeleted },
    };
  }

  /** Failed batches, records the writer could not store, failed retention sweeps, a lost writer. Returns the unsubscribe function. */
  onError(listener: StoreErrorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hears each later retention sweep that deleted rows (what it deleted per
   * table, and its cutoff). The sweep that runs while opening is over before
   * Store.open resolves: it is counted in stats().retentionDeleted, and only
   * StoreOptions.onSweep hears it. Returns the unsubscribe function.
   */
  onSweep(listener: SweepListener): () => void {
    this.sweepListeners.add(listener);
    return () => this.sweepListeners.delete(listener);
  }

  /** Flushes, lets running queries finish, stops every thread and closes the file. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const drained = this.flush().catch(() => undefined); // failures were reported through onError
    this.accepting = false;
    await drained;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Readers first: the writer's connection is then the last one, and
    // closing it checkpoints the WAL into the file and removes it.
    await this.readers.close();
    this.closeRequested = true;
    if (this.broken === null) {
      const exited = once(this.writer, 'exit');
      const message: ToWriter = { kind: 'close' };
      this.writer.postMessage(message);
      await exited;
    } else {
      await this.writer.terminate();
    }
    if (this.closeError !== null) throw this.closeError;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.draining = true;
    this.pump();
  };

  /** Posts queued records while fewer than MAX_BATCHES_IN_FLIGHT batches await acknowledgement. */
  private pump(): void {
    if (this.broken !== null) return;
    while (this.inFlight.length < MAX_BATCHES_IN_FLIGHT) {
      const queued = this.queue.length;
      if (queued === 0 || (queued < BATCH_RECORDS && !this.draining)) break;
      const records = this.queue.take(BATCH_RECORDS);
      const batch: InFlight = { id: this.nextBatchId++, end: this.queue.start, count: records.length };
      this.inFlight.push(batch);
      this.inFlightRecords += batch.count;
      const message: ToWriter = { kind: 'batch', id: batch.id, records };
      this.writer.postMessage(message);
    }
    if (this.queue.length === 0) {
      this.draining = false;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
    } else if (this.timer === null && !this.draining) {
      this.timer = setTimeout(this.onTimer, this.settings.flushIntervalMs);
    }
  }

  private onWriterMessage(message: FromWriter): void {
    switch (message.kind) {
      case 'batch-done':
        this.onBatchDone(message);
        return;
      case 'sweep':
        this.count(message.sweep);
        for (const listener of this.sweepListeners) listener(message.sweep);
        return;
      case 'error':
        this.emit(new StoreError(message.message));
        return;
      case 'closed':
        if (message.error !== null)
          this.closeError = new StoreError(`${message.error}; the WAL file next to it is replayed at the next open`);
        return;
      case 'ready':
      case 'open-failed':
        return;
    }
  }

  private onBatchDone(done: Extract<FromWriter, { kind: 'batch-done' }>): void {
    const batch = this.inFlight.shift();
    if (batch === undefined || batch.id !== done.id) {
      this.fail(`the store writer for ${this.path} acknowledged batch ${done.id} out of order; restart tickflow`);
      return;
    }
    this.inFlightRecords -= batch.count;
    this.settled = batch.end;
    this.failedRecords += done.failed;
    if (done.stored > 0) {
      this.committedBatches++;
      this.lastCommitMs = done.ms;
    } else {
      this.failedBatches++;
    }
    if (done.error !== null) {
      this.emit(
        new StoreError(
          done.stored > 0
            ? `${done.failed} of ${batch.count} records of a batch could not be stored in ${this.path}: ${done.error}`
            : `a batch of ${batch.count} records could not be stored in ${this.path}, even after a retry: ${done.error}`,
        ),
      );
    }
    this.pump();
    const idle = this.queue.length === 0 && this.inFlight.length === 0;
    let kept = 0;
    for (const waiter of this.waiters) {
      if (idle || waiter.target <= this.settled) waiter.resolve();
      else this.waiters[kept++] = waiter;
    }
    this.waiters.length = kept;
  }

  /** The writer is gone: nothing queued or posted can be stored any more. */
  private fail(message: string): void {
    if (this.broken !== null) return;
    const error = new StoreError(message);
    this.broken = error;
    this.droppedUnqueued += this.inFlightRecords;
    this.queue.discard();
    this.inFlight.length = 0;
    this.inFlightRecords = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.length = 0;
    this.emit(error);
  }

  private count(sweep: RetentionSweep): void {
    this.retentionDeleted.bars += sweep.bars;
    this.retentionDeleted.indicators += sweep.indicators;
    this.retentionDeleted.alerts += sweep.alerts;
    this.retentionDeleted.deadLetters += sweep.deadLetters;
  }

  private emit(error: StoreError): void {
    for (const listener of this.listeners) listener(error);
  }

  /** Runs a query on a reader thread; a bad query or a failed read rejects with a StoreError. */
  private async read<T extends ReadTask>(makeTask: () => T): Promise<ReadResults[T['op']]> {
    if (!this.accepting) throw new StoreError(`the store ${this.path} is closed; open it again to query it`);
    const task = makeTask();
    let result: ReadResult;
    try {
      result = await this.readers.run(task);
    } catch (error) {
      throw new StoreError(`store query ${task.op} on ${this.path} failed: ${(error as Error).message}`);
    }
    // piscina's results are untyped; store-queries.ts answers each op with ReadResults[op].
    return result as ReadResults[T['op']];
  }
}
