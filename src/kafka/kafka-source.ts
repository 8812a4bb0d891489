// `--source kafka`: a consumer group on market-data-raw, exactly once.
//
// Each input partition this engine owns has its own transactional producer
// (transactional id per partition, so the next owner fences this one). Every
// --checkpoint-ms one transaction per partition commits, atomically: the
// final records produced from that partition's ticks since the last commit,
// a checkpoint of the partition's symbols (state and next input offset) to
// `tickflow-checkpoints`, and the group's offset for the partition. A crash
// loses only what no transaction committed; the next owner restores the last
// checkpoint, reads on from its offset and produces those records again,
// once. Results of a checkpoint cycle are split at the in-band checkpoint
// marker, so nothing the checkpointed state already covers is committed later.
//
// Idle closing (a quiet symbol's last windows close after --idle-close-ms)
// is held while any owned partition is behind its end: catching up, a
// symbol's next ticks may sit in the backlog behind other symbols' batches,
// and closing its windows early would make the results depend on timing.
//
// Backpressure: a batch is handed to the engine tick by tick, waiting for
// ring room when the partitions are busy; kafkajs fetches the next batch only
// after, so an engine that falls behind reads no further rather than
// buffering.
//
// Other engines' symbols: their final records are read back from the result
// topics (committed only), their trades, quotes and forming bars from the
// live feed (live-feed.ts), and both are handed to the server for its
// subscribers, except those of input partitions this engine owns itself.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rejection } from '../records/rejection';
import { ValidTick, validateTick } from '../ingest/tick-validator';
import { checkpointRecords, loadCheckpoint } from './checkpoint-topic';
import { INPUT_PARTITION_HEADER } from './headers';
import type { ConsumedBatch, ConsumedRecord, ConsumerPort, KafkaPort, KafkaRecord, ProducerPort, TopicPartition } from './kafka-port';
import { createKafkaPort } from './kafkajs-port';
import { LiveFeed, type LiveCounts } from './live-feed';
import type { ResultMessage } from '../records/result-messages';
import {
  ALERTS_TOPIC,
  BARS_TOPIC,
  CHECKPOINT_TOPIC,
  DEAD_LETTER_TOPIC,
  INDICATORS_TOPIC,
  LIVE_TOPIC,
  RAW_TOPIC,
  TOPIC_CONFIGS,
} from '../records/topics';
import type { DeadLetterRecord } from '../records/records';
import { joinCheckpoint, splitCheckpoint } from '../sources/checkpoint-blob';
import type { SourceContext, TickSource } from '../sources/tick-source';

/** Source positions of Kafka ticks: partition * 2^40 + offset. */
const PARTITION_SPAN = 2 ** 40;
const RESULT_TOPICS = [BARS_TOPIC, INDICATORS_TOPIC, ALERTS_TOPIC, DEAD_LETTER_TOPIC];
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

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly group: string;
  readonly checkpointMs: number;
  readonly topicPartitions: number;
  /** Results of partitions another engine owns, read from the result topics (for local subscribers). */
  readonly remote: (topic: string, key: string, value: string) => void;
  /**
   * Live data (a trade, quote or forming bar as its JSON record) of a symbol
   * another engine owns, and its channel; returns whether it was published.
   */
  readonly remoteLive: (channel: string, value: string) => boolean;
}

/** One input partition this engine owns. */
class Owned {
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

  constructor(readonly partition: number) {}
}

export class KafkaSource implements TickSource {
  readonly description: string;
  readonly finalOnDrain = false;
  /** Transactions committed, and failed (the partition was then restored from its checkpoint). */
  commits = 0;
  failures = 0;
  /** Times an input partition was paused because its tick's engine partition was full. */
  pauses = 0;
  /** This engine's id in the group's live feed: host, process and a random part, unique across restarts. */
  readonly engineId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly port: KafkaPort;
  private readonly liveFeed: LiveFeed;

  get ownedPartitions(): number {
    return this.owned.size;
  }

  /** The live feed's numbers, for /metrics. */
  get live(): LiveCounts {
    return this.liveFeed;
  }

  private consumer: ConsumerPort | null = null;
  private results: ConsumerPort | null = null;
  private readonly owned = new Map<number, Owned>();
  private readonly symbolPartition = new Map<string, number>();
  private lock: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastCommit = Date.now();
  /** The first checkpoint id of the cycle in progress, and the workers that passed its marker. */
  private cycle: { id: number; passed: Set<number> } | null = null;
  private readonly tick = new ValidTick();
  private stopping = false;

  constructor(
    private readonly context: SourceContext,
    private readonly options: KafkaSourceOptions,
  ) {
    this.description = `kafka ${RAW_TOPIC} (group ${options.group}) on ${options.brokers.join(',')}`;
    this.port = createKafkaPort({ brokers: options.brokers, clientId: `tickflow-${hostname()}-${process.pid}` });
    context.pipeline.requests.onCheckpointMark((id, worker) => {
      if (this.cycle !== null && id === this.cycle.id) this.cycle.passed.add(worker);
    });
    this.liveFeed = new LiveFeed({
      brokers: options.brokers,
      engineId: this.engineId,
      log: context.log,
      deliver: (channel, value, partition) => {
        // The owner's own subscribers get the symbol from its engine; records
        // of a partition this engine has taken over are the old owner's last.
        return !this.owned.has(partition) && options.remoteLive(channel, value);
      },
    });
  }

  start(): void {
    void this.run().catch((err: unknown) => this.context.log('kafka source failed', { error: (err as Error).message }));
  }

  /**
   * A trade, quote or forming bar the engine published on `channel`: sent to
   * the other engines when its symbol is of an input partition this engine
   * owns (not a tick of /ingest). Only queued here; `data` is read at once.
   */
  forward(channel: string, symbol: string, data: { toString(): string }): void {
    const partition = this.symbolPartition.get(symbol);
    if (partition === undefined || !this.owned.has(partition)) return;
    this.liveFeed.offer(channel, symbol, data.toString(), partition);
  }

  /** Every final record and worker dead letter from the engine, with the symbol and worker it came from. */
  result(message: ResultMessage, symbol: string, worker: number): void {
    const partition = this.symbolPartition.get(symbol);
    const owned = partition === undefined ? undefined : this.owned.get(partition);
    if (owned === undefined) return;
    const record: KafkaRecord = {
      topic: message.topic,
      key: message.key,
      value: message.value,
      headers: { ...message.headers, [INPUT_PARTITION_HEADER]: String(owned.partition) },
    };
    if (this.cycle !== null && this.cycle.passed.has(worker)) owned.next.push(record);
    else owned.current.push(record);
  }

  private async run(): Promise<void> {
    const admin = await this.port.admin();
    try {
      await admin.createTopics([
        ...RESULT_TOPICS.map((topic) => ({ topic, numPartitions: this.options.topicPartitions })),
        { topic: CHECKPOINT_TOPIC, numPartitions: 1, configs: { ...TOPIC_CONFIGS[CHECKPOINT_TOPIC] } },
        { topic: LIVE_TOPIC, numPartitions: this.options.topicPartitions, configs: { ...TOPIC_CONFIGS[LIVE_TOPIC] } },
      ]);
    } finally {
      await admin.disconnect();
    }
    // Beside the group's consumer, not before it: joining its own group takes a moment.
    void this.liveFeed.start().catch((err: unknown) => this.context.log('live feed failed', { error: (err as Error).message }));
    const consumer = await this.port.consumer({
      groupId: this.options.group,
      readCommitted: true,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      maxWaitTimeMs: 500,
    });
    this.consumer = consumer;
    await consumer.subscribe([RAW_TOPIC], true);
    await consumer.run({
      autoCommit: false,
      onAssign: (assigned) => this.assign(assigned),
      onRevoke: (revoked) => this.revoke(revoked),
      onBatch: (batch) => this.batch(batch),
      onError: (error) => this.context.log('kafka consumer error; it rejoins its group', { error: error.message }),
    });
    this.timer = setInterval(
      () => {
        if (Date.now() - this.lastCommit >= this.options.checkpointMs) void this.locked(() => this.commitCycle());
      },
      Math.max(50, Math.floor(this.options.checkpointMs / 4)),
    );
    await this.followResults();
  }

  /** Reads the result topics (committed only) for partitions other engines own. */
  private async followResults(): Promise<void> {
    const results = await this.port.consumer({
      groupId: `tickflow-results-${hostname()}-${process.pid}-${Date.now()}`,
      readCommitted: true,
      maxWaitTimeMs: 200,
    });
    this.results = results;
    await results.subscribe([BARS_TOPIC, INDICATORS_TOPIC, ALERTS_TOPIC], false);
    await results.run({
      autoCommit: true,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const from = Number(record.headers[INPUT_PARTITION_HEADER] ?? '-1');
          if (record.value !== null && !this.owned.has(from)) this.options.remote(record.topic, record.key ?? '', record.value);
        }
      },
    });
  }

  private assign(assigned: TopicPartition[]): void {
    for (const { topic, partition } of assigned) {
      if (topic !== RAW_TOPIC || this.owned.has(partition)) continue;
      const owned = new Owned(partition);
      this.owned.set(partition, owned);
      owned.ready = this.takeOver(owned);
    }
    this.holdIdleWhileBehind();
  }

  /** Idle closing waits while any owned partition has a backlog (or is still being taken over). */
  private holdIdleWhileBehind(): void {
    this.context.pipeline.requests.holdIdle([...this.owned.values()].some((o) => !o.caughtUp));
  }

  private revoke(revoked: TopicPartition[]): void {
    for (const { topic, partition } of revoked) {
      if (topic !== RAW_TOPIC) continue;
      const owned = this.owned.get(partition);
      this.owned.delete(partition);
      // Not paused for a next owner here: what waited is the next owner's to read again.
      if (owned?.paused === true) this.consumer?.resume([{ topic, partition }]);
      // Uncommitted results are the next owner's to produce again.
      void owned?.producer?.disconnect().catch(() => undefined);
    }
    this.holdIdleWhileBehind();
  }

  /**
   * Becomes the partition's producer (fencing the previous owner and settling
   * its last transaction), then restores the partition's checkpoint and reads
   * on from its offset.
   */
  private async takeOver(owned: Owned): Promise<void> {
    for (let attempt = 0; this.owned.get(owned.partition) === owned && !this.stopping; attempt++) {
      try {
        owned.producer = await this.port.producer({ transactionalId: `${this.options.group}-${RAW_TOPIC}-${owned.partition}` });
        const checkpoint = await loadCheckpoint(this.port, RAW_TOPIC, owned.partition, 30_000);
        // What this engine still holds of the partition's symbols from an
        // earlier ownership ran ahead of what was committed: the symbols the
        // checkpoint restores are replaced, and the others start afresh, or
        // their ticks since the checkpoint would be late or duplicates and
        // their results, never committed, lost.
        const restored = new Set(checkpoint?.symbols ?? []);
        const stale = [...this.symbolPartition].filter(([symbol, p]) => p === owned.partition && !restored.has(symbol));
        await this.context.pipeline.requests.forget(stale.map(([symbol]) => symbol));
        if (checkpoint !== null) {
          await this.context.pipeline.requests.restore(splitCheckpoint(checkpoint.state));
          for (const symbol of checkpoint.symbols) {
            owned.symbols.add(symbol);
            this.symbolPartition.set(symbol, owned.partition);
          }
          owned.nextOffset = checkpoint.offset;
          this.consumer?.seek(RAW_TOPIC, owned.partition, checkpoint.offset);
        }
        owned.caughtUp = await this.atEnd(owned.partition, checkpoint?.offset);
        this.context.log('took over input partition', { partition: owned.partition, offset: checkpoint?.offset ?? 'start' });
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
        const committed = (await admin.committedOffsets(this.options.group, RAW_TOPIC)).find((p) => p.partition === partition);
        start = committed === undefined || committed.offset === '-1' ? end.low : committed.offset;
      }
      return BigInt(start) >= BigInt(end.high);
    } finally {
      await admin.disconnect();
    }
  }

  private locked(work: () => Promise<void>): Promise<void> {
    const next = this.lock.then(work, work);
    this.lock = next.catch((err: unknown) => this.context.log('kafka source step failed', { error: (err as Error).message }));
    return this.lock;
  }

  private async batch(batch: ConsumedBatch): Promise<void> {
    const owned = this.owned.get(batch.partition);
    if (batch.topic !== RAW_TOPIC || owned === undefined || this.stopping) return;
    await owned.ready;
    await this.locked(async () => {
      if (this.owned.get(batch.partition) !== owned) return;
      if (owned.waiting !== null) {
        // Fetched before the partition was paused: after what already waits.
        owned.waiting.records.push(...batch.records.filter((r) => BigInt(r.offset) >= BigInt(owned.waiting?.end ?? '0')));
        owned.waiting.end = batch.nextOffset;
        owned.waiting.highWatermark = batch.highWatermark;
        return;
      }
      const expected = BigInt(owned.nextOffset);
      const first = batch.records[0];
      if (expected >= 0n && first !== undefined && BigInt(first.offset) > expected) {
        // The group's offset was behind the checkpoint's: go back to it.
        this.consumer?.seek(RAW_TOPIC, batch.partition, owned.nextOffset);
        return;
      }
      await this.take(owned, batch.records, batch.nextOffset, batch.highWatermark);
    });
  }

  /**
   * Hands an input partition's records to the engine, in order, from the
   * partition's next offset. When a tick's engine partition is full, the
   * rest waits in memory, the input partition is paused (the consumer's
   * pause(), so the other input partitions go on and nothing waits on the
   * event loop), and it is taken on once the engine has room there.
   */
  private async take(owned: Owned, records: readonly ConsumedRecord[], end: string, highWatermark: string): Promise<void> {
    const { pipeline, deadLetter } = this.context;
    const expected = BigInt(owned.nextOffset);
    let next = end;
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as ConsumedRecord;
      if (expected >= 0n && BigInt(record.offset) < expected) continue;
      const origin = owned.partition * PARTITION_SPAN + Number(record.offset);
      let value: unknown;
      let rejection: Rejection | null;
      try {
        value = JSON.parse(record.value ?? '');
        rejection = validateTick(value, this.tick) ?? this.context.admit(this.tick);
      } catch (err) {
        rejection = new Rejection('unparsable', '', `not valid JSON: ${(err as Error).message}`);
      }
      if (rejection !== null) {
        const dead: DeadLetterRecord = {
          type: 'dead_letter',
          reason: rejection.reason,
          field: rejection.field,
          message: rejection.message,
          line: origin,
          raw: record.value ?? '',
        };
        deadLetter(dead);
        owned.current.push({
          topic: DEAD_LETTER_TOPIC,
          key: record.key ?? '',
          value: JSON.stringify(dead),
          headers: { reason: dead.reason, [INPUT_PARTITION_HEADER]: String(owned.partition) },
        });
        continue;
      }
      const taken = pipeline.offer(this.tick, origin);
      if (taken < 0) {
        next = record.offset;
        owned.waiting = { records: records.slice(i), end, highWatermark };
        this.pauseUntilRoom(owned, -1 - taken);
        break;
      }
      owned.symbols.add(this.tick.symbol);
      this.symbolPartition.set(this.tick.symbol, owned.partition);
    }
    owned.nextOffset = next;
    owned.caughtUp = owned.waiting === null && BigInt(end) >= BigInt(highWatermark);
    this.holdIdleWhileBehind();
    pipeline.publish();
    if (Date.now() - this.lastCommit >= this.options.checkpointMs) await this.commitCycle();
  }

  private pauseUntilRoom(owned: Owned, enginePartition: number): void {
    const partitions = [{ topic: RAW_TOPIC, partition: owned.partition }];
    if (!owned.paused) {
      owned.paused = true;
      this.pauses++;
      this.consumer?.pause(partitions);
    }
    void this.context.pipeline.whenRoom(enginePartition).then(() =>
      this.locked(async () => {
        const waiting = owned.waiting;
        if (waiting === null || this.owned.get(owned.partition) !== owned || this.stopping) return;
        owned.waiting = null;
        await this.take(owned, waiting.records, waiting.end, waiting.highWatermark);
        if (owned.waiting === null) {
          owned.paused = false;
          this.consumer?.resume(partitions);
        }
      }),
    );
  }

  /** One transaction per owned partition: its results, its checkpoint and its group offset. */
  private async commitCycle(): Promise<void> {
    this.lastCommit = Date.now();
    const owners = [...this.owned.values()].filter((o) => o.producer !== null && o.nextOffset !== '-1');
    if (owners.length === 0) return;
    const { pipeline } = this.context;
    pipeline.publish();
    const offsets = owners.map((o) => o.nextOffset);
    this.cycle = { id: pipeline.requests.nextCheckpointId, passed: new Set() };
    // All markers go into the rings back to back, so the split between this
    // cycle's results and the next falls at the same point for every partition.
    const snapshots = await Promise.all(owners.map((o) => pipeline.requests.checkpoint([...o.symbols])));
    for (let i = 0; i < owners.length; i++) {
      const owned = owners[i] as Owned;
      if (this.owned.get(owned.partition) !== owned) continue;
      const records = [
        ...owned.current,
        ...checkpointRecords(RAW_TOPIC, owned.partition, {
          offset: offsets[i] as string,
          symbols: [...owned.symbols],
          state: joinCheckpoint(snapshots[i] as Uint8Array[]),
        }),
      ];
      try {
        const tx = await (owned.producer as ProducerPort).transaction();
        try {
          for (const part of sends(records)) await tx.send(part);
          await tx.sendOffsets(this.options.group, [{ topic: RAW_TOPIC, partition: owned.partition, offset: offsets[i] as string }]);
        } catch (err) {
          await tx.abort().catch(() => undefined);
          throw err;
        }
        await tx.commit();
        this.commits++;
        owned.current = owned.next;
        owned.next = [];
      } catch (err) {
        this.failures++;
        this.context.log('a kafka transaction failed; restoring the partition from its checkpoint', {
          partition: owned.partition,
          error: (err as Error).message,
        });
        await owned.producer?.disconnect().catch(() => undefined);
        // Only if the partition is still ours: a rebalance may have handed it
        // to another engine, whose producer fenced ours (that is why it failed).
        if (this.owned.get(owned.partition) !== owned) continue;
        const fresh = new Owned(owned.partition);
        this.owned.set(owned.partition, fresh);
        fresh.ready = this.takeOver(fresh);
        this.holdIdleWhileBehind();
      }
    }
    this.cycle = null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.locked(() => this.commitCycle());
    await this.consumer?.disconnect().catch(() => undefined);
    await this.liveFeed.stop();
    await this.results?.disconnect().catch(() => undefined);
    for (const owned of this.owned.values()) await owned.producer?.disconnect().catch(() => undefined);
    await this.port.close().catch(() => undefined);
  }
}
