// The engine's requests that partitions answer through their out-rings, and
// the promises waiting for those answers: flushes (one FLUSHED per partition
// asked), checkpoints (CHECKPOINT_CHUNKs, put back together), restores (one
// RESTORED per checkpoint per partition) and watermark resets (one
// WATERMARK_RESET_DONE). It sits between the drain and the engine's visitor:
// answers are taken out here, every other result is handed on.
//
// A partition answers in the order it was asked, so an answer settles the
// oldest request still waiting on that partition.

import type { WatermarkResetResult } from '../analytics/partition-engine';
import { decodeMark } from './checkpoint-capture';
import { ChunkAssembler, decodeCheckpointRequest } from './chunks';
import { decodeWatermarkResetDone } from './control-records';
import { Msg } from './protocol';
import type { PartitionCounts, ResultVisitor } from './result-drain';

/** Each partition's part of a checkpoint, the longest any partition was held making its part, and the state's full size. */
export interface CheckpointAnswer {
  readonly parts: Uint8Array[];
  heldMs: number;
  /** Bytes a full checkpoint of the same state takes, every part's (a delta's own bytes are fewer). */
  stateBytes: number;
}

interface PendingCheckpoint {
  readonly remaining: Set<number>;
  readonly answer: CheckpointAnswer;
  readonly resolve: (answer: CheckpointAnswer) => void;
}

interface PendingRestore {
  readonly remaining: number[];
  readonly resolve: () => void;
}

export class Answers {
  /** The visitor the drain hands every record to: answers stop here, results go on to `next()`. */
  readonly visitor: ResultVisitor;
  private flushes: Array<{ remaining: Set<number>; resolve: () => void }> = [];
  private nextId = 1;
  private readonly checkpoints = new Map<number, PendingCheckpoint>();
  private readonly restores = new Map<number, PendingRestore>();
  private readonly resets = new Map<number, (result: WatermarkResetResult | null) => void>();
  private readonly assemblers: ChunkAssembler[];
  private readonly markListeners: Array<(checkpointId: number, partition: number) => void> = [];

  constructor(partitions: number, next: () => ResultVisitor) {
    this.assemblers = Array.from({ length: partitions }, () => new ChunkAssembler());
    this.visitor = {
      record: (type, partition, bytes, offset, size) => {
        if (type === Msg.CHECKPOINT_CHUNK) this.onCheckpointChunk(partition, bytes, offset);
        else if (type === Msg.CHECKPOINT_MARK) for (const listener of this.markListeners) listener(decodeMark(bytes, offset), partition);
        else if (type === Msg.RESTORED) this.onRestored(partition, bytes, offset);
        else if (type === Msg.WATERMARK_RESET_DONE) this.onWatermarkReset(bytes, offset);
        else next().record(type, partition, bytes, offset, size);
      },
      flushed: (partition: number, counts: PartitionCounts) => {
        next().flushed(partition, counts);
        this.flushes.find((w) => w.remaining.has(partition))?.remaining.delete(partition);
        const done = this.flushes.filter((w) => w.remaining.size === 0);
        this.flushes = this.flushes.filter((w) => w.remaining.size > 0);
        for (const waiter of done) waiter.resolve();
      },
    };
  }

  /** A new id for a checkpoint, restore or reset request. */
  newId(): number {
    return this.nextId++;
  }

  /** The id the next request will get. */
  get peekId(): number {
    return this.nextId;
  }

  /** Resolves once each of these partitions answered a flush sent after this call. */
  flush(partitions: Iterable<number>): Promise<void> {
    return new Promise((resolve) => this.flushes.push({ remaining: new Set(partitions), resolve }));
  }

  /** Resolves with each partition's part of checkpoint `id`. */
  checkpoint(id: number, partitions: Iterable<number>): Promise<CheckpointAnswer> {
    return new Promise((resolve) =>
      this.checkpoints.set(id, { remaining: new Set(partitions), answer: { parts: [], heldMs: 0, stateBytes: 0 }, resolve }),
    );
  }

  /** Resolves once every partition restored each of `count` checkpoints of restore `id`. */
  restore(id: number, partitions: number, count: number): Promise<void> {
    return new Promise((resolve) => this.restores.set(id, { remaining: Array.from({ length: partitions }, () => count), resolve }));
  }

  reset(id: number): Promise<WatermarkResetResult | null> {
    return new Promise((resolve) => this.resets.set(id, resolve));
  }

  /** See Engine.onCheckpointMark. */
  onCheckpointMark(listener: (checkpointId: number, partition: number) => void): void {
    this.markListeners.push(listener);
  }

  private onCheckpointChunk(partition: number, bytes: Uint8Array, offset: number): void {
    const whole = (this.assemblers[partition] as ChunkAssembler).add(bytes, offset);
    if (whole === null) return;
    const pending = this.checkpoints.get(whole.id);
    if (pending === undefined) return;
    pending.answer.parts[partition] = whole.data;
    pending.answer.heldMs = Math.max(pending.answer.heldMs, whole.heldUs / 1000);
    pending.answer.stateBytes += whole.stateBytes;
    pending.remaining.delete(partition);
    if (pending.remaining.size > 0) return;
    this.checkpoints.delete(whole.id);
    pending.resolve(pending.answer);
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
}
