// Requests the partitions answer in order with their results (partition-
// core.ts takes them from the in-rings): flushes, watermark resets, idle
// holds, checkpoints and restores. Each is sent on the rings and resolved
// when every partition it went to has answered (answers.ts).

import type { AnalyticsConfig } from '../analytics/analytics-config';
import type { WatermarkResetResult } from '../analytics/partition-engine';
import type { Answers } from './answers';
import { checkpointExchanges, checkpointSymbols, freshCheckpoint, isDeltaCheckpoint } from './checkpoint-codec';
import { CheckpointStats } from './checkpoint-stats';
import { encodeCheckpointRequest, writeChunks } from './chunks';
import { encodeFlush, encodeWatermarkReset } from './control-records';
import type { Dispatcher } from './dispatcher';
import type { PartitionHost } from './partition-host';
import { Msg } from './protocol';

/** What the requests share with the engine that owns them. */
export interface RequestDeps {
  readonly host: PartitionHost;
  readonly dispatcher: Dispatcher;
  readonly answers: Answers;
  readonly analytics: AnalyticsConfig;
  /** Makes what was written to the in-rings visible (Engine.publish). */
  readonly publish: () => void;
  /** Called while a partition's in-ring has no room. */
  readonly waitForRoom: (partition: number) => void;
}

export class EngineRequests {
  /** What checkpoints and restores cost (/metrics). */
  readonly checkpointStats = new CheckpointStats();
  private idleHeld = false;

  constructor(private readonly deps: RequestDeps) {}

  /**
   * Every open window of the symbols with these ids (null: of every symbol)
   * becomes final; resolves once those results are handed on. Only the
   * partitions that own one of the symbols take part.
   */
  flush(symbolIds: readonly number[] | null = null): Promise<void> {
    const byPartition = new Map<number, number[] | null>();
    if (symbolIds === null) {
      this.deps.host.inputs.forEach((_, p) => byPartition.set(p, null));
    } else {
      for (const id of symbolIds) {
        const p = this.deps.dispatcher.partitionOfId(id);
        if (p === undefined) continue;
        const list = byPartition.get(p) ?? [];
        list.push(id);
        byPartition.set(p, list);
      }
    }
    if (byPartition.size === 0) return Promise.resolve();
    const done = this.deps.answers.flush(byPartition.keys());
    for (const [partition, ids] of byPartition) {
      const ring = this.deps.host.inputs[partition];
      if (ring === undefined) continue;
      for (const record of encodeFlush(ids, ring.maxPayload))
        this.deps.dispatcher.send(partition, Msg.FLUSH, record, this.deps.waitForRoom);
    }
    this.deps.publish();
    return done;
  }

  /**
   * Puts a symbol's event time back to the server's clock (an operator's
   * reset, PartitionEngine.resetWatermark). Resolves with what it did, or
   * null when no tick of the symbol has been seen.
   */
  resetWatermark(symbol: string, clock: number): Promise<WatermarkResetResult | null> {
    const symbolId = this.deps.dispatcher.symbolId(symbol);
    const partition = symbolId === undefined ? undefined : this.deps.dispatcher.partitionOfId(symbolId);
    if (symbolId === undefined || partition === undefined) return Promise.resolve(null);
    const id = this.deps.answers.newId();
    const done = this.deps.answers.reset(id);
    this.deps.dispatcher.send(partition, Msg.RESET_WATERMARK, encodeWatermarkReset({ id, symbolId, clock }), this.deps.waitForRoom);
    this.deps.publish();
    return done;
  }

  /**
   * Holds processing-time idle closing in every partition while a source
   * catches up on a backlog, and releases it (idleness then counts from now).
   */
  holdIdle(held: boolean): void {
    if (held === this.idleHeld) return;
    this.idleHeld = held;
    this.deps.dispatcher.broadcast(Msg.IDLE_HOLD, this.deps.waitForRoom, Uint8Array.of(held ? 1 : 0));
    this.deps.publish();
  }

  /**
   * Snapshots the named symbols (null: all) in every partition, after every
   * tick dispatched so far and with the results of those ticks already handed
   * on. Resolves with one PartitionCheckpoint per partition. With a
   * `rotation`, incremental (checkpoint-codec.ts): restored only after the
   * `rotation - 1` checkpoints before it, in order.
   */
  checkpoint(symbols: readonly string[] | null, rotation = 0): Promise<Uint8Array[]> {
    const began = performance.now();
    const id = this.deps.answers.newId();
    const done = this.deps.answers.checkpoint(
      id,
      this.deps.host.inputs.map((_, p) => p),
    );
    this.deps.dispatcher.broadcast(Msg.CHECKPOINT, this.deps.waitForRoom, encodeCheckpointRequest(id, symbols, rotation));
    this.deps.publish();
    return done.then(({ parts, heldMs, stateBytes }) => {
      const bytes = parts.reduce((sum, part) => sum + part.length, 0);
      const held = parts.reduce((sum, part) => sum + checkpointSymbols(part).length, 0);
      this.checkpointStats.checkpointed({
        bytes,
        stateBytes,
        symbols: held,
        seconds: (performance.now() - began) / 1000,
        heldSeconds: heldMs / 1000,
        delta: parts.some(isDeltaCheckpoint),
      });
      return parts;
    });
  }

  /**
   * Hears, in order with the results, where a partition took a checkpoint
   * (its CHECKPOINT_MARK): results of that partition after this call come
   * from ticks after the checkpoint. The checkpoint's data may come later.
   */
  onCheckpointMark(listener: (checkpointId: number, partition: number) => void): void {
    this.deps.answers.onCheckpointMark(listener);
  }

  /** The id the next checkpoint() will use. */
  get nextCheckpointId(): number {
    return this.deps.answers.peekId;
  }

  /**
   * Replaces the state of every symbol in the checkpoints with theirs,
   * before any later tick of those symbols. Each partition restores the
   * symbols it owns.
   */
  restore(checkpoints: readonly Uint8Array[]): Promise<void> {
    if (checkpoints.length === 0) return Promise.resolve();
    const began = performance.now();
    const id = this.deps.answers.newId();
    for (const data of checkpoints)
      this.deps.dispatcher.register(checkpointSymbols(data), checkpointExchanges(data), this.deps.waitForRoom);
    const done = this.deps.answers.restore(id, this.deps.host.inputs.length, checkpoints.length);
    this.deps.host.inputs.forEach((ring, partition) => {
      for (const data of checkpoints) writeChunks(ring, Msg.RESTORE_CHUNK, id, data, () => this.deps.waitForRoom(partition));
    });
    this.deps.publish();
    return done.then(() => this.checkpointStats.restored((performance.now() - began) / 1000));
  }

  /**
   * Puts these symbols back to the state of a symbol never seen, before any
   * later tick of theirs: what this engine held of them is not the state
   * their next ticks follow (an input partition taken over again, from a
   * checkpoint that does not hold them).
   */
  forget(names: readonly string[]): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    return this.restore([freshCheckpoint(names, this.deps.analytics)]);
  }
}
