// The engine inside `serve`: the partition pool, the dispatcher and an
// asynchronous loop that drains the out-rings into a ResultVisitor (the
// channel hub). Unlike replay it never owns the event loop: the drain loop
// parks on the workers' doorbell with Atomics.waitAsync.
//
// Backpressure: when a partition's ring is full, ingest() blocks the thread
// (draining results meanwhile) until the worker makes room. While it blocks,
// the process reads no socket, so TCP pushes back on every publisher; nothing
// is dropped. uWebSockets.js 20.30 cannot pause one WebSocket's reads, and a
// full ring means the engine is saturated anyway.

import type { AnalyticsConfig } from '../analytics/analytics-config';
import { monotonicMs } from '../clock';
import { Dispatcher } from '../ingest/dispatcher';
import type { ValidTick } from '../ingest/tick-validator';
import { PartitionPool } from '../partition/partition-pool';
import { Msg } from '../partition/protocol';
import { ResultDrain, type PartitionCounts, type ResultVisitor } from '../partition/result-drain';
import { Doorbell, createDoorbell } from '../ring/doorbell';
import { checkpointExchanges, checkpointSymbols } from '../partition/checkpoint-codec';
import { ChunkAssembler, decodeCheckpointRequest, encodeCheckpointRequest, writeChunks } from '../partition/chunks';
import type { WatermarkResetResult } from '../analytics/partition-engine';
import { decodeWatermarkResetDone, encodeFlush, encodeWatermarkReset } from '../partition/control-records';

/**
 * Every how many ticks one carries the dispatch, dequeue and echo times of
 * the stage histograms. Five clock reads and five histogram records per tick
 * took about 6 % of the event loop at 100k ticks/s; a uniform sample of one
 * in four gives the same percentiles at a quarter of the cost.
 */
export const PROBE_EVERY = 4;

interface PendingCheckpoint {
  readonly remaining: Set<number>;
  readonly parts: Uint8Array[];
  readonly resolve: (parts: Uint8Array[]) => void;
}

interface PendingRestore {
  readonly remaining: number[];
  readonly resolve: () => void;
}

export interface LivePipelineOptions {
  readonly partitions: number;
  readonly pin: boolean;
  readonly ringBytes: number;
  readonly analytics: AnalyticsConfig;
  readonly idleSpinUs?: number;
}

export class LivePipeline {
  readonly dispatcher: Dispatcher;
  readonly drain: ResultDrain;
  /** Times ingest() had to wait for ring space. */
  blockedWaits = 0;
  /** Ticks handed to the partitions. */
  dispatched = 0;
  private readonly doorbell: Doorbell;
  private running = true;
  private loopEnded: () => void = () => undefined;
  /** Resolves when the drain loop has stopped. */
  private readonly loopDone = new Promise<void>((resolve) => {
    this.loopEnded = resolve;
  });
  private flushWaiters: Array<{ remaining: Set<number>; resolve: () => void }> = [];
  private failure: Error | undefined;
  private readonly onFailure: Array<(err: Error) => void> = [];
  private readonly flushTracker: ResultVisitor;
  private nextCheckpoint = 1;
  private readonly checkpoints = new Map<number, PendingCheckpoint>();
  private readonly restores = new Map<number, PendingRestore>();
  private idleHeld = false;
  private readonly assemblers: ChunkAssembler[];
  private readonly markListeners: Array<(checkpointId: number, partition: number) => void> = [];
  private nextReset = 1;
  private readonly resets = new Map<number, (result: WatermarkResetResult | null) => void>();

  private readonly visitor: ResultVisitor;

  private constructor(readonly pool: PartitionPool, bell: SharedArrayBuffer, makeVisitor: (dispatcher: Dispatcher) => ResultVisitor) {
    this.dispatcher = new Dispatcher(pool.inputs);
    this.visitor = makeVisitor(this.dispatcher);
    this.drain = new ResultDrain(pool.outputs);
    this.doorbell = new Doorbell(bell);
    this.assemblers = pool.outputs.map(() => new ChunkAssembler());
    this.flushTracker = {
      record: (type, partition, bytes, offset, size) => {
        if (type === Msg.CHECKPOINT_CHUNK) this.onCheckpointChunk(partition, bytes, offset);
        else if (type === Msg.RESTORED) this.onRestored(partition, bytes, offset);
        else if (type === Msg.WATERMARK_RESET_DONE) this.onWatermarkReset(bytes, offset);
        else this.visitor.record(type, partition, bytes, offset, size);
      },
      flushed: (partition: number, counts: PartitionCounts) => {
        this.visitor.flushed(partition, counts);
        // A partition answers its flushes in the order they were sent, so
        // this FLUSHED belongs to the oldest flush still waiting on it.
        this.flushWaiters.find((w) => w.remaining.has(partition))?.remaining.delete(partition);
        const done = this.flushWaiters.filter((w) => w.remaining.size === 0);
        this.flushWaiters = this.flushWaiters.filter((w) => w.remaining.size > 0);
        for (const waiter of done) waiter.resolve();
      },
    };
  }

  /** `visitor` receives every result; it is made once the dispatcher (and its name tables) exists. */
  static async start(options: LivePipelineOptions, visitor: (dispatcher: Dispatcher) => ResultVisitor): Promise<LivePipeline> {
    const bell = createDoorbell();
    const pool = await PartitionPool.start({ ...options, doorbell: bell });
    const pipeline = new LivePipeline(pool, bell, visitor);
    pipeline.step();
    return pipeline;
  }

  /** Set when a worker failed; the server should stop. */
  get failed(): Error | undefined {
    return this.failure ?? this.pool.failed;
  }

  whenFailed(listener: (err: Error) => void): void {
    this.onFailure.push(listener);
  }

  /**
   * Hands a valid tick to its partition (published by the next publish());
   * returns the tick's symbol id. One tick in PROBE_EVERY carries latency
   * probes for the stage histograms.
   */
  ingest(tick: ValidTick, origin: number): number {
    const probe = this.dispatched % PROBE_EVERY === 0 ? monotonicMs() : 0;
    for (;;) {
      const result = this.dispatcher.dispatch(tick, origin, probe);
      if (result >= 0) {
        this.dispatched++;
        return this.dispatcher.lastSymbolId;
      }
      const partition = -1 - result;
      this.blockedWaits++;
      const ring = this.pool.inputs[partition];
      ring?.publish();
      this.drainNow();
      ring?.waitForSpace(64, 1);
    }
  }

  /** Makes dispatched ticks visible to the workers. */
  publish(): void {
    this.dispatcher.publish();
  }

  /**
   * Every open window of the symbols with these ids (null: of every symbol)
   * becomes final; resolves once those results are handed on. Only the
   * partitions that own one of the symbols take part.
   */
  flush(symbolIds: readonly number[] | null = null): Promise<void> {
    const byPartition = new Map<number, number[] | null>();
    if (symbolIds === null) {
      this.pool.inputs.forEach((_, p) => byPartition.set(p, null));
    } else {
      for (const id of symbolIds) {
        const p = this.dispatcher.partitionOfId(id);
        if (p === undefined) continue;
        const list = byPartition.get(p) ?? [];
        list.push(id);
        byPartition.set(p, list);
      }
    }
    if (byPartition.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ remaining: new Set(byPartition.keys()), resolve });
      for (const [partition, ids] of byPartition) {
        const ring = this.pool.inputs[partition];
        if (ring === undefined) continue;
        for (const record of encodeFlush(ids, ring.maxPayload)) this.dispatcher.send(partition, Msg.FLUSH, record, this.waitForRoom);
      }
      this.dispatcher.publish();
    });
  }

  /**
   * Puts a symbol's event time back to the server's clock (an operator's
   * reset, PartitionEngine.resetWatermark). Resolves with what it did, or
   * null when no tick of the symbol has been seen.
   */
  resetWatermark(symbol: string, clock: number): Promise<WatermarkResetResult | null> {
    const symbolId = this.dispatcher.symbolId(symbol);
    const partition = symbolId === undefined ? undefined : this.dispatcher.partitionOfId(symbolId);
    if (symbolId === undefined || partition === undefined) return Promise.resolve(null);
    const id = this.nextReset++;
    return new Promise((resolve) => {
      this.resets.set(id, resolve);
      this.dispatcher.send(partition, Msg.RESET_WATERMARK, encodeWatermarkReset({ id, symbolId, clock }), this.waitForRoom);
      this.dispatcher.publish();
    });
  }

  /**
   * Holds processing-time idle closing in every partition while a source
   * catches up on a backlog, and releases it (idleness then counts from now).
   */
  holdIdle(held: boolean): void {
    if (held === this.idleHeld) return;
    this.idleHeld = held;
    this.dispatcher.broadcast(Msg.IDLE_HOLD, this.waitForRoom, Uint8Array.of(held ? 1 : 0));
    this.dispatcher.publish();
  }

  /**
   * Snapshots the named symbols (null: all) in every partition, after every
   * tick dispatched so far and with the results of those ticks already handed
   * on. Resolves with one PartitionCheckpoint per partition.
   */
  checkpoint(symbols: readonly string[] | null): Promise<Uint8Array[]> {
    const id = this.nextCheckpoint++;
    return new Promise((resolve) => {
      this.checkpoints.set(id, { remaining: new Set(this.pool.inputs.map((_, p) => p)), parts: [], resolve });
      this.dispatcher.broadcast(Msg.CHECKPOINT, this.waitForRoom, encodeCheckpointRequest(id, symbols));
      this.dispatcher.publish();
    });
  }

  /**
   * Hears, in order with the results, when a partition has answered a
   * checkpoint: results of that partition after this call come from ticks
   * after the checkpoint.
   */
  onCheckpointMark(listener: (checkpointId: number, partition: number) => void): void {
    this.markListeners.push(listener);
  }

  /** The id the next checkpoint() will use. */
  get nextCheckpointId(): number {
    return this.nextCheckpoint;
  }

  /**
   * Replaces the state of every symbol in the checkpoints with theirs,
   * before any later tick of those symbols. Each partition restores the
   * symbols it owns.
   */
  restore(checkpoints: readonly Uint8Array[]): Promise<void> {
    if (checkpoints.length === 0) return Promise.resolve();
    const id = this.nextCheckpoint++;
    for (const data of checkpoints) this.dispatcher.register(checkpointSymbols(data), checkpointExchanges(data), this.waitForRoom);
    return new Promise((resolve) => {
      this.restores.set(id, { remaining: this.pool.inputs.map(() => checkpoints.length), resolve });
      this.pool.inputs.forEach((ring, partition) => {
        for (const data of checkpoints) writeChunks(ring, Msg.RESTORE_CHUNK, id, data, () => this.waitForRoom(partition));
      });
      this.dispatcher.publish();
    });
  }

  private readonly waitForRoom = (partition: number): void => {
    this.pool.inputs[partition]?.publish();
    this.drainNow();
    this.pool.inputs[partition]?.waitForSpace(this.pool.inputs[partition]?.maxPayload ?? 64, 1);
  };

  private onCheckpointChunk(partition: number, bytes: Uint8Array, offset: number): void {
    const whole = (this.assemblers[partition] as ChunkAssembler).add(bytes, offset);
    if (whole === null) return;
    for (const listener of this.markListeners) listener(whole.id, partition);
    const pending = this.checkpoints.get(whole.id);
    if (pending === undefined) return;
    pending.parts[partition] = whole.data;
    pending.remaining.delete(partition);
    if (pending.remaining.size > 0) return;
    this.checkpoints.delete(whole.id);
    pending.resolve(pending.parts);
  }

  private onRestored(partition: number, bytes: Uint8Array, offset: number): void {
    const { id } = decodeCheckpointRequest(bytes, offset);
    const pending = this.restores.get(id);
    if (pending === undefined) return;
    pending.remaining[partition] = (pending.remaining[partition] ?? 1) - 1;
    if (pending.remaining.some((n) => n > 0)) return;
    this.restores.delete(id);
    pending.resolve();
  }

  private onWatermarkReset(bytes: Uint8Array, offset: number): void {
    const answer = decodeWatermarkResetDone(bytes, offset);
    const resolve = this.resets.get(answer.id);
    if (resolve === undefined) return;
    this.resets.delete(answer.id);
    resolve(answer.result);
  }

  /** Bytes waiting in each in-ring and out-ring, for metrics. */
  ringOccupancy(): { input: number[]; output: number[] } {
    return { input: this.pool.inputs.map((ring) => ring.used()), output: this.drain.occupancy() };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
    this.drainNow();
    await this.pool.stop();
  }

  private drainNow(): number {
    try {
      return this.drain.poll(this.flushTracker);
    } catch (err) {
      this.fail(err as Error);
      return 0;
    }
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.running = false;
    for (const listener of this.onFailure) listener(err);
  }

  /**
   * One round of the drain loop: drain, then either yield to the event loop
   * (sockets and timers run between batches) or park until a worker rings.
   */
  private readonly step = (): void => {
    if (!this.running) {
      this.loopEnded();
      return;
    }
    if (this.drainNow() > 0) {
      setImmediate(this.step);
      return;
    }
    if (this.pool.failed !== undefined) {
      this.fail(this.pool.failed);
      this.loopEnded();
      return;
    }
    this.doorbell.park(this.hasWork, 50, this.step);
  };

  private readonly hasWork = (): boolean => this.drain.hasWork();
}
