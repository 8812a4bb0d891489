// The input partitions of market-data-raw this engine owns in its consumer
// group, and taking one over: becoming its transactional producer (which
// fences the previous owner), restoring its last checkpoint and reading on
// from that checkpoint's offset. Apart from the Kafka source (kafka-source.ts)
// because the group's assignments arrive on their own schedule, while the
// source's business is the ticks of partitions already owned.

import { setTimeout as sleep } from 'node:timers/promises';
import { RAW_TOPIC } from '../records/topics';
import { splitCheckpoint } from '../sources/checkpoint-blob';
import type { SourceContext } from '../sources/tick-source';
import { loadCheckpoint } from './checkpoint-topic';
import type { ConsumedRecord, ConsumerPort, KafkaPort, KafkaRecord, ProducerPort, TopicPartition } from './kafka-port';

/** One input partition this engine owns. */
export class Owned {
  producer: ProducerPort | null = null;
  /** Restore done; no tick of the partition is processed before. */
  ready: Promise<void> = Promise.resolve();
  /** The next offset to read, after every tick handed to the engine. */
  nextOffset = '-1';
  readonly symbols = new Set<string>();
  /** Read up to the partition's end (as of the last fetch): idle closing may run. */
  caughtUp = false;
  /** Records fetched but not yet taken (their engine partition was full), and the batch end they lead to. */
  waiting: { records: ConsumedRecord[]; end: string; highWatermark: string } | null = null;
  /** The input partition is paused until they are taken. */
  paused = false;
  /** Results of this cycle, and of ticks after the cycle's checkpoint marker. */
  current: KafkaRecord[] = [];
  next: KafkaRecord[] = [];
  /** The n of the next checkpoint: it goes to slot n mod rotation (checkpoint-topic.ts). */
  checkpoints = 0;

  constructor(readonly partition: number) {}
}

export class PartitionOwnership {
  private readonly owned = new Map<number, Owned>();
  /** The input partition of every symbol read, of partitions owned now or before. */
  readonly symbolPartition = new Map<string, number>();

  constructor(
    private readonly port: KafkaPort,
    private readonly group: string,
    private readonly context: SourceContext,
    /** The group's consumer, once it runs. */
    private readonly consumer: () => ConsumerPort | null,
    private readonly stopping: () => boolean,
  ) {}

  get size(): number {
    return this.owned.size;
  }

  has(partition: number): boolean {
    return this.owned.has(partition);
  }

  get(partition: number): Owned | undefined {
    return this.owned.get(partition);
  }

  values(): IterableIterator<Owned> {
    return this.owned.values();
  }

  /** The owned partition a symbol's ticks come from; undefined when this engine does not own it. */
  ownerOf(symbol: string): Owned | undefined {
    const partition = this.symbolPartition.get(symbol);
    return partition === undefined ? undefined : this.owned.get(partition);
  }

  assign(assigned: TopicPartition[]): void {
    for (const { topic, partition } of assigned) {
      if (topic !== RAW_TOPIC || this.owned.has(partition)) continue;
      this.own(partition);
    }
    this.holdIdleWhileBehind();
  }

  /** Idle closing waits while any owned partition has a backlog (or is still being taken over). */
  holdIdleWhileBehind(): void {
    this.context.pipeline.requests.holdIdle([...this.owned.values()].some((o) => !o.caughtUp));
  }

  revoke(revoked: TopicPartition[]): void {
    for (const { topic, partition } of revoked) {
      if (topic !== RAW_TOPIC) continue;
      const owned = this.owned.get(partition);
      this.owned.delete(partition);
      // Not paused for a next owner here: what waited is the next owner's to read again.
      if (owned?.paused === true) this.consumer()?.resume([{ topic, partition }]);
      // Uncommitted results are the next owner's to produce again.
      void owned?.producer?.disconnect().catch(() => undefined);
    }
    this.holdIdleWhileBehind();
  }

  /**
   * After a failed transaction: the partition, if it is still ours, taken
   * over afresh from its checkpoint. A rebalance may have handed it to another
   * engine, whose producer fenced ours (that is why it failed).
   */
  renew(owned: Owned): void {
    if (this.owned.get(owned.partition) !== owned) return;
    this.own(owned.partition);
    this.holdIdleWhileBehind();
  }

  private own(partition: number): void {
    const owned = new Owned(partition);
    this.owned.set(partition, owned);
    owned.ready = this.takeOver(owned);
  }

  /**
   * Becomes the partition's producer (fencing the previous owner and settling
   * its last transaction), then restores the partition's checkpoint and reads
   * on from its offset.
   */
  private async takeOver(owned: Owned): Promise<void> {
    for (let attempt = 0; this.owned.get(owned.partition) === owned && !this.stopping(); attempt++) {
      try {
        owned.producer = await this.port.producer({ transactionalId: `${this.group}-${RAW_TOPIC}-${owned.partition}` });
        const checkpoint = await loadCheckpoint(this.port, RAW_TOPIC, owned.partition, 30_000);
        // What this engine still holds of the partition's symbols from an
        // earlier ownership ran ahead of what was committed: every one starts
        // afresh, then the checkpoints restore theirs. Otherwise ticks since
        // the checkpoint would be late or duplicates and their results, never
        // committed, lost; and a delta could meet a state of its own base id
        // that it does not follow.
        const held = [...this.symbolPartition].filter(([, p]) => p === owned.partition);
        await this.context.pipeline.requests.forget(held.map(([symbol]) => symbol));
        owned.checkpoints = checkpoint === null ? 0 : checkpoint.n + 1;
        if (checkpoint !== null) {
          await this.context.pipeline.requests.restore(checkpoint.states.flatMap((state) => splitCheckpoint(state)));
          for (const symbol of checkpoint.symbols) {
            owned.symbols.add(symbol);
            this.symbolPartition.set(symbol, owned.partition);
          }
          owned.nextOffset = checkpoint.offset;
          this.consumer()?.seek(RAW_TOPIC, owned.partition, checkpoint.offset);
        }
        owned.caughtUp = await this.atEnd(owned.partition, checkpoint?.offset);
        this.context.log('took over input partition', {
          partition: owned.partition,
          offset: checkpoint?.offset ?? 'start',
          checkpoints: checkpoint?.states.length ?? 0,
        });
        this.holdIdleWhileBehind();
        return;
      } catch (err) {
        this.context.log('taking over an input partition failed; retrying', { partition: owned.partition, error: (err as Error).message });
        await sleep(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }

  /** Whether reading from `from` (default: the group's offset, else the start) finds nothing yet. */
  private async atEnd(partition: number, from: string | undefined): Promise<boolean> {
    const admin = await this.port.admin();
    try {
      const end = (await admin.endOffsets(RAW_TOPIC)).find((p) => p.partition === partition);
      if (end === undefined) return true;
      let start = from;
      if (start === undefined) {
        const committed = (await admin.committedOffsets(this.group, RAW_TOPIC)).find((p) => p.partition === partition);
        start = committed === undefined || committed.offset === '-1' ? end.low : committed.offset;
      }
      return BigInt(start) >= BigInt(end.high);
    } finally {
      await admin.disconnect();
    }
  }
}
