// The exactly-once commit of the Kafka source: every --checkpoint-ms one
// transaction per owned input partition, holding the final records produced
// from its ticks since the last commit, a checkpoint of its symbols (state
// and next input offset) and the group's offset for it. The results of a
// cycle are split at the in-band checkpoint marker, so nothing the
// checkpointed state already covers is committed later. Apart from the
// source (kafka-source.ts), which reads the ticks, because committing what
// came of them runs on a timer of its own.

import type { SourceContext } from '../sources/tick-source';
import { joinCheckpoint } from '../sources/checkpoint-blob';
import { CHECKPOINT_TOPIC, RAW_TOPIC } from '../records/topics';
import { checkpointRecords } from './checkpoint-topic';
import type { KafkaRecord, ProducerPort } from './kafka-port';
import type { Owned, PartitionOwnership } from './partition-ownership';

/** Records per send inside a transaction: each send is one record batch per partition, which Kafka caps (1 MiB by default). */
const RECORDS_PER_SEND = 500;

/** Splits a transaction's records into sends that stay under Kafka's batch size: results in order, then each checkpoint record alone. */
function sends(records: readonly KafkaRecord[]): KafkaRecord[][] {
  const results = records.filter((r) => r.topic !== CHECKPOINT_TOPIC);
  const out: KafkaRecord[][] = [];
  for (let i = 0; i < results.length; i += RECORDS_PER_SEND) out.push(results.slice(i, i + RECORDS_PER_SEND));
  for (const record of records) if (record.topic === CHECKPOINT_TOPIC) out.push([record]);
  return out;
}

export class CommitCycle {
  /** Transactions committed, and failed (the partition was then restored from its checkpoint). */
  commits = 0;
  failures = 0;
  private last = Date.now();
  /** The first checkpoint id of the cycle in progress, and the workers that passed its marker. */
  private cycle: { id: number; passed: Set<number> } | null = null;

  constructor(
    private readonly context: SourceContext,
    private readonly group: string,
    private readonly checkpointMs: number,
    private readonly partitions: PartitionOwnership,
    /** Incremental checkpoints: each restores after the rotation - 1 before it (checkpoint-chain.ts). */
    private readonly rotation: number,
  ) {
    context.pipeline.requests.onCheckpointMark((id, worker) => {
      if (this.cycle !== null && id === this.cycle.id) this.cycle.passed.add(worker);
    });
  }

  /** --checkpoint-ms have passed since the last cycle began. */
  get due(): boolean {
    return Date.now() - this.last >= this.checkpointMs;
  }

  /** A result of an owned partition's ticks, for this cycle's transaction or, once its worker passed the marker, the next's. */
  add(owned: Owned, record: KafkaRecord, worker: number): void {
    if (this.cycle !== null && this.cycle.passed.has(worker)) owned.next.push(record);
    else owned.current.push(record);
  }

  /** One transaction per owned partition: its results, its checkpoint and its group offset. */
  async commit(): Promise<void> {
    this.last = Date.now();
    const owners = [...this.partitions.values()].filter((o) => o.producer !== null && o.nextOffset !== '-1');
    if (owners.length === 0) return;
    const { pipeline } = this.context;
    pipeline.publish();
    const offsets = owners.map((o) => o.nextOffset);
    this.cycle = { id: pipeline.requests.nextCheckpointId, passed: new Set() };
    // All markers go into the rings back to back, so the split between this
    // cycle's results and the next falls at the same point for every partition.
    const snapshots = await Promise.all(owners.map((o) => pipeline.requests.checkpoint([...o.symbols], this.rotation)));
    for (let i = 0; i < owners.length; i++) {
      const owned = owners[i] as Owned;
      if (this.partitions.get(owned.partition) !== owned) continue;
      const records = [
        ...owned.current,
        ...checkpointRecords(RAW_TOPIC, owned.partition, {
          offset: offsets[i] as string,
          symbols: [...owned.symbols],
          state: joinCheckpoint(snapshots[i] as Uint8Array[]),
          n: owned.checkpoints,
          rotation: this.rotation,
        }),
      ];
      try {
        const tx = await (owned.producer as ProducerPort).transaction();
        try {
          for (const part of sends(records)) await tx.send(part);
          await tx.sendOffsets(this.group, [{ topic: RAW_TOPIC, partition: owned.partition, offset: offsets[i] as string }]);
        } catch (err) {
          await tx.abort().catch(() => undefined);
          throw err;
        }
        await tx.commit();
        this.commits++;
        owned.checkpoints++;
        owned.current = owned.next;
        owned.next = [];
      } catch (err) {
        // The engine's checkpoint marks moved on with the checkpoint this
        // transaction did not commit: restoring the committed ones puts them back.
        this.failures++;
        this.context.log('a kafka transaction failed; restoring the partition from its checkpoint', {
          partition: owned.partition,
          error: (err as Error).message,
        });
        await owned.producer?.disconnect().catch(() => undefined);
        this.partitions.renew(owned);
      }
    }
    this.cycle = null;
  }
}
