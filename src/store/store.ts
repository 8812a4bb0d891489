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
// The write side, from write() to the writer's acknowledgements, is
// write-batches.ts; this facade opens the store, answers queries, hears the
// writer and closes.

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
import { storeSettings, type StoreOptions, type StoreSettings, type SweepListener } from './store-options';
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
import { WriteBatches, type WriteStats } from './write-batches';
import { writerReady, type WriterReady } from './writer-ready';

export type { AlertQuery, BarQuery, DeadLetterQuery } from './read-query';
export type { StoreOptions, SweepListener } from './store-options';
export type { ChannelEntry, RetentionCounts, RetentionSweep, StoredDeadLetter, StoredRecord } from './store-protocol';

export interface StoreStats extends WriteStats {
  /** Rows retention deleted since open, per table, the sweep that ran while opening included. */
  readonly retentionDeleted: RetentionCounts;
}

export type StoreErrorListener = (error: StoreError) => void;

const WRITER_FILE = join(__dirname, 'store-writer.js');
const READER_FILE = join(__dirname, 'store-reader-task.js');

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
  private readonly writes: WriteBatches;
  private readonly listeners = new Set<StoreErrorListener>();
  private readonly sweepListeners = new Set<SweepListener>();
  /** Running totals of every sweep's counts; stats() hands out copies. */
  private readonly retentionDeleted = { bars: 0, indicators: 0, alerts: 0, deadLetters: 0 };
  private accepting = true;
  private closeRequested = false;
  private closing: Promise<void> | null = null;
  private closeError: StoreError | null = null;

  private constructor(
    settings: StoreSettings,
    ready: WriterReady,
    private readonly writer: Worker,
    private readonly readers: Piscina<ReadTask, ReadResult>,
  ) {
    this.path = settings.path;
    this.schemaVersion = ready.schemaVersion;
    this.epoch = ready.epoch;
    this.writes = new WriteBatches(settings, writer, (error) => this.emit(error));
    // The opening sweep was already heard by settings.onSweep (writerReady); only count it.
    if (ready.firstSweep !== null) this.count(ready.firstSweep);
    if (settings.onSweep !== null) this.sweepListeners.add(settings.onSweep);
    writer.on('message', (message: FromWriter) => this.onWriterMessage(message));
    writer.on('error', (error: Error) => {
      this.writes.fail(`the store writer thread for ${this.path} failed: ${error.message}; writes are no longer stored, restart tickflow`);
    });
    writer.on('exit', (code: number) => {
      if (!this.closeRequested)
        this.writes.fail(
          `the store writer thread for ${this.path} stopped (exit code ${code}); writes are no longer stored, restart tickflow`,
        );
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
    this.writes.write(record);
  }

  /**
   * Resolves once every record written before the call is settled: committed,
   * or reported through onError and counted in stats(). Rejects only when the
   * writer thread is gone.
   */
  flush(): Promise<void> {
    return this.writes.flush();
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
    return { ...this.writes.stats(), retentionDeleted: { ...this.retentionDeleted } };
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
    const drained = this.writes.close();
    this.accepting = false;
    await drained;
    // Readers first: the writer's connection is then the last one, and
    // closing it checkpoints the WAL into the file and removes it.
    await this.readers.close();
    this.closeRequested = true;
    if (!this.writes.writerGone) {
      const exited = once(this.writer, 'exit');
      const message: ToWriter = { kind: 'close' };
      this.writer.postMessage(message);
      await exited;
    } else {
      await this.writer.terminate();
    }
    if (this.closeError !== null) throw this.closeError;
  }

  private onWriterMessage(message: FromWriter): void {
    switch (message.kind) {
      case 'batch-done':
        this.writes.acknowledged(message);
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
