// The store facade's write side: records queued (write-queue.ts), posted to
// the writer thread in batches of up to BATCH_RECORDS, at most
// MAX_BATCHES_IN_FLIGHT of them unacknowledged, and settled as the writer
// acknowledges them. Apart from the facade (store.ts) because this is the
// one part of the store with state that moves on every write; the facade
// around it opens, answers queries and closes.
//
// Batches are acknowledged in order, so "everything written before flush()
// is settled" is "the batch that took the newest record at that moment has
// been acknowledged" (positions: see write-queue.ts).

import type { Worker } from 'node:worker_threads';
import { StoreError } from '../errors';
import { boundDeadLetter } from './dead-letter-text';
import { BATCH_RECORDS, type StoreSettings } from './store-options';
import type { FromWriter, StoredRecord, ToWriter } from './store-protocol';
import { WriteQueue } from './write-queue';

/** What stats() tells of the writes. */
export interface WriteStats {
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
}

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

export class WriteBatches {
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
  private accepting = true;
  /** Set when the writer thread is gone; the store then only answers queries. */
  private broken: StoreError | null = null;
  private committedBatches = 0;
  private failedBatches = 0;
  private failedRecords = 0;
  private lastCommitMs = 0;
  private droppedUnqueued = 0;
  private readonly path: string;

  constructor(
    private readonly settings: StoreSettings,
    private readonly writer: Worker,
    private readonly emit: (error: StoreError) => void,
  ) {
    this.path = settings.path;
    this.queue = new WriteQueue(settings.maxPendingWrites);
  }

  /** The writer thread is gone (fail() was called). */
  get writerGone(): boolean {
    return this.broken !== null;
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

  stats(): WriteStats {
    return {
      pendingWrites: this.queue.length + this.inFlightRecords,
      committedBatches: this.committedBatches,
      failedBatches: this.failedBatches,
      lastCommitMs: this.lastCommitMs,
      failedRecords: this.failedRecords,
      droppedWrites: this.queue.dropped + this.droppedUnqueued,
      coalescedWrites: this.queue.coalesced,
    };
  }

  /** Flushes, and drops (counting them) the records written from then on. */
  async close(): Promise<void> {
    const drained = this.flush().catch(() => undefined); // failures were reported through onError
    this.accepting = false;
    await drained;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
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
      this.writer.postMessage(message, checkpointBuffers(records));
    }
    if (this.queue.length === 0) {
      this.draining = false;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
    } else if (this.timer === null && !this.draining) {
      this.timer = setTimeout(this.onTimer, this.settings.flushIntervalMs);
    }
  }

  /** The writer's acknowledgement of the oldest batch in flight. */
  acknowledged(done: Extract<FromWriter, { kind: 'batch-done' }>): void {
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
  fail(message: string): void {
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
}

/**
 * The buffers of the checkpoints in a batch that own them whole: moved to
 * the writer rather than copied (megabytes each, on the event loop). The
 * caller keeps no use of a checkpoint's state once it is written.
 */
function checkpointBuffers(records: readonly StoredRecord[]): ArrayBuffer[] {
  let out: ArrayBuffer[] | null = null;
  for (const record of records) {
    if (record.kind !== 'checkpoint') continue;
    const { buffer, byteOffset, byteLength } = record.state;
    if (!(buffer instanceof ArrayBuffer) || byteOffset !== 0 || byteLength !== buffer.byteLength) continue;
    out ??= [];
    if (!out.includes(buffer)) out.push(buffer);
  }
  return out ?? [];
}
