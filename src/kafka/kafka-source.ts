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
//
// Beside this file: which input partitions this engine owns and taking one
// over (partition-ownership.ts), and the transaction per partition every
// --checkpoint-ms (commit-cycle.ts); what stays here is reading the ticks.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Rejection } from '../records/rejection';
import { ValidTick, validateTick } from '../ingest/tick-validator';
import { CommitCycle } from './commit-cycle';
import { INPUT_PARTITION_HEADER } from './headers';
import type { ConsumedBatch, ConsumedRecord, ConsumerPort, KafkaPort, KafkaRecord } from './kafka-port';
import { createKafkaPort } from './kafkajs-port';
import { LiveFeed, type LiveCounts } from './live-feed';
import { PartitionOwnership, type Owned } from './partition-ownership';
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
import type { SourceContext, TickSource } from '../sources/tick-source';

/** Source positions of Kafka ticks: partition * 2^40 + offset. */
const PARTITION_SPAN = 2 ** 40;
const RESULT_TOPICS = [BARS_TOPIC, INDICATORS_TOPIC, ALERTS_TOPIC, DEAD_LETTER_TOPIC];

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly group: string;
  readonly checkpointMs: number;
  /** Checkpoints in a rotation of whole series (checkpoint-chain.ts); 1, the default, writes each whole. */
  readonly checkpointRotation?: number;
  readonly topicPartitions: number;
  /** Results of partitions another engine owns, read from the result topics (for local subscribers). */
  readonly remote: (topic: string, key: string, value: string) => void;
  /**
   * Live data (a trade, quote or forming bar as its JSON record) of a symbol
   * another engine owns, and its channel; returns whether it was published.
   */
  readonly remoteLive: (channel: string, value: string) => boolean;
}

export class KafkaSource implements TickSource {
  readonly description: string;
  readonly finalOnDrain = false;
  /** Times an input partition was paused because its tick's engine partition was full. */
  pauses = 0;
  /** This engine's id in the group's live feed: host, process and a random part, unique across restarts. */
  readonly engineId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly port: KafkaPort;
  private readonly liveFeed: LiveFeed;

  /** Transactions committed, and failed (the partition was then restored from its checkpoint). */
  get commits(): number {
    return this.commitCycle.commits;
  }

  get failures(): number {
    return this.commitCycle.failures;
  }

  get ownedPartitions(): number {
    return this.owned.size;
  }

  /** The live feed's numbers, for /metrics. */
  get live(): LiveCounts {
    return this.liveFeed;
  }

  private consumer: ConsumerPort | null = null;
  private results: ConsumerPort | null = null;
  private readonly owned: PartitionOwnership;
  private readonly commitCycle: CommitCycle;
  private lock: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly tick = new ValidTick();
  private stopping = false;

  constructor(
    private readonly context: SourceContext,
    private readonly options: KafkaSourceOptions,
  ) {
    this.description = `kafka ${RAW_TOPIC} (group ${options.group}) on ${options.brokers.join(',')}`;
    this.port = createKafkaPort({ brokers: options.brokers, clientId: `tickflow-${hostname()}-${process.pid}` });
    this.owned = new PartitionOwnership(
      this.port,
      options.group,
      context,
      () => this.consumer,
      () => this.stopping,
    );
    this.commitCycle = new CommitCycle(context, options.group, options.checkpointMs, this.owned, options.checkpointRotation ?? 1);
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
    const owned = this.owned.ownerOf(symbol);
    if (owned === undefined) return;
    this.liveFeed.offer(channel, symbol, data.toString(), owned.partition);
  }

  /** Every final record and worker dead letter from the engine, with the symbol and worker it came from. */
  result(message: ResultMessage, symbol: string, worker: number): void {
    const owned = this.owned.ownerOf(symbol);
    if (owned === undefined) return;
    const record: KafkaRecord = {
      topic: message.topic,
      key: message.key,
      value: message.value,
      headers: { ...message.headers, [INPUT_PARTITION_HEADER]: String(owned.partition) },
    };
    this.commitCycle.add(owned, record, worker);
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
      onAssign: (assigned) => this.owned.assign(assigned),
      onRevoke: (revoked) => this.owned.revoke(revoked),
      onBatch: (batch) => this.batch(batch),
      onError: (error) => this.context.log('kafka consumer error; it rejoins its group', { error: error.message }),
    });
    this.timer = setInterval(
      () => {
        if (this.commitCycle.due) void this.locked(() => this.commitCycle.commit());
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
      this.owned.symbolPartition.set(this.tick.symbol, owned.partition);
    }
    owned.nextOffset = next;
    owned.caughtUp = owned.waiting === null && BigInt(end) >= BigInt(highWatermark);
    this.owned.holdIdleWhileBehind();
    pipeline.publish();
    if (this.commitCycle.due) await this.commitCycle.commit();
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

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.locked(() => this.commitCycle.commit());
    await this.consumer?.disconnect().catch(() => undefined);
    await this.liveFeed.stop();
    await this.results?.disconnect().catch(() => undefined);
    for (const owned of this.owned.values()) await owned.producer?.disconnect().catch(() => undefined);
    await this.port.close().catch(() => undefined);
  }
}
