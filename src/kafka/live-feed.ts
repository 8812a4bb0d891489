// Live data across the engines of a consumer group (docs/durability.md, "Live
// data across engines"): each engine sends the trades, quotes and forming
// bars of the symbols it owns to `tickflow-live`, and reads every other
// engine's back, so that a subscriber of any engine gets every symbol.
//
// Sending never blocks the event loop. offer() appends to a bounded queue
// that drops its oldest when full (live data is superseded by newer data);
// one send is out at a time, and what arrives meanwhile goes in the next,
// larger one. The producer has its own client that waits for the partition
// leader only and gives up within seconds: a batch that fails is dropped and
// counted, never sent again behind newer data.
//
// Reading: a consumer in a group of its own (one group per engine, so that
// each engine is assigned every partition of the topic), from the end of the
// topic as it joins: what was sent before is history, not live. An engine's
// own records come back too and are skipped by the engine id in a header.
//
//   engine A: router ─ offer ─▶ queue ─ send ─▶ tickflow-live ─▶ consumer of B ─▶ B's hub
//                                               (key = symbol)  ─▶ consumer of A: own, skipped

import { setTimeout as sleep } from 'node:timers/promises';
import { LIVE_TOPIC } from '../records/topics';
import { DropOldestQueue } from './drop-oldest-queue';
import { CHANNEL_HEADER, ENGINE_HEADER, INPUT_PARTITION_HEADER } from './headers';
import type { ConsumerPort, KafkaPort, KafkaRecord, ProducerPort } from './kafka-port';
import { createKafkaPort } from './kafkajs-port';

export const LIVE_DEFAULTS = Object.freeze({
  /** Records waiting for Kafka at most; past it the oldest are dropped (about 200 bytes each). */
  queueMax: 100_000,
  /** Records per send. */
  batchMax: 2000,
  /** Pause after a failed send before the next, so an absent broker is not asked in a loop. */
  retryPauseMs: 500,
  /** How long stop() lets the queue drain. */
  stopGraceMs: 2000,
});

export interface LiveFeedOptions {
  readonly brokers: readonly string[];
  /** This engine's id, unique in the group: its records carry it, and it skips them when they come back. */
  readonly engineId: string;
  /**
   * A record of another engine: its channel, its JSON record and the input
   * partition its symbol belongs to. Returns whether it was published (false
   * when this engine owns that partition itself).
   */
  readonly deliver: (channel: string, value: string, partition: number) => boolean;
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  readonly queueMax?: number;
}

/** What /metrics shows of the feed. */
export interface LiveCounts {
  /** Records written to the topic. */
  readonly sent: number;
  /** Records of other engines published to local subscribers. */
  readonly received: number;
  /** Records dropped: the oldest at a full queue, and every record of a failed send. */
  readonly dropped: number;
  /** Records waiting for a send. */
  readonly queued: number;
  /** Sends that failed. */
  readonly sendFailures: number;
}

/** The headers of one channel's records, made once per channel (and again if its input partition changes). */
interface ChannelHeaders {
  readonly partition: number;
  readonly headers: Record<string, string>;
}

export class LiveFeed implements LiveCounts {
  sent = 0;
  received = 0;
  sendFailures = 0;
  private failed = 0;
  private readonly queue: DropOldestQueue<KafkaRecord>;
  private readonly port: KafkaPort;
  private readonly headers = new Map<string, ChannelHeaders>();
  private producer: ProducerPort | null = null;
  private consumer: ConsumerPort | null = null;
  private scheduled = false;
  private sending: Promise<void> | null = null;
  private away = false;
  private stopping = false;

  constructor(private readonly options: LiveFeedOptions) {
    this.queue = new DropOldestQueue(options.queueMax ?? LIVE_DEFAULTS.queueMax);
    // A client of its own: few, short retries (a live record is worth little
    // seconds later), and its connections apart from the source's transactions.
    this.port = createKafkaPort({
      brokers: options.brokers,
      clientId: `tickflow-live-${options.engineId}`,
      requestTimeoutMs: 5000,
      retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
    });
  }

  get dropped(): number {
    return this.queue.dropped + this.failed;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Connects the producer and joins the consumer's group, each retrying until it succeeds or stop(); the topic must exist. */
  async start(): Promise<void> {
    await Promise.all([this.connectProducer(), this.follow()]);
  }

  /** Queues a record of a symbol this engine owns: `value` is the channel message's JSON record. */
  offer(channel: string, symbol: string, value: string, partition: number): void {
    if (this.stopping) return;
    let cached = this.headers.get(channel);
    if (cached === undefined || cached.partition !== partition) {
      cached = {
        partition,
        headers: { [ENGINE_HEADER]: this.options.engineId, [CHANNEL_HEADER]: channel, [INPUT_PARTITION_HEADER]: String(partition) },
      };
      this.headers.set(channel, cached);
    }
    this.queue.push({ topic: LIVE_TOPIC, key: symbol, value, headers: cached.headers });
    if (!this.scheduled && this.sending === null && this.producer !== null) {
      this.scheduled = true;
      // After the I/O of this turn: everything the turn routes goes in one send.
      setImmediate(this.sendQueued);
    }
  }

  /** Lets the queue drain for a moment, then disconnects; whatever is left is dropped. */
  async stop(graceMs: number = LIVE_DEFAULTS.stopGraceMs): Promise<void> {
    const deadline = Date.now() + graceMs;
    while ((this.queue.size > 0 || this.sending !== null) && this.producer !== null && !this.away && Date.now() < deadline) {
      await (this.sending ?? sleep(10));
    }
    this.stopping = true;
    this.queue.clear();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.port.close().catch(() => undefined);
  }

  private readonly sendQueued = (): void => {
    this.scheduled = false;
    if (this.sending !== null || this.producer === null) return;
    this.sending = this.sendAll(this.producer).finally(() => {
      this.sending = null;
    });
  };

  private async sendAll(producer: ProducerPort): Promise<void> {
    while (this.queue.size > 0 && !this.stopping) {
      const batch = this.queue.take(LIVE_DEFAULTS.batchMax);
      try {
        await producer.send(batch);
        this.sent += batch.length;
        if (this.away) {
          this.away = false;
          this.options.log('live feed reaches kafka again', { topic: LIVE_TOPIC });
        }
      } catch (err) {
        this.failed += batch.length;
        this.sendFailures++;
        if (!this.away) {
          this.away = true;
          this.options.log('live feed cannot reach kafka; dropping the oldest live data until it can', {
            topic: LIVE_TOPIC,
            error: (err as Error).message,
          });
        }
        await sleep(LIVE_DEFAULTS.retryPauseMs);
      }
    }
  }

  private async connectProducer(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        this.producer = await this.port.producer({ acks: 'leader' });
        if (this.stopping) await this.producer.disconnect().catch(() => undefined);
        else if (this.queue.size > 0) this.sendQueued();
        return;
      } catch (err) {
        if (attempt === 0) this.options.log('live feed producer cannot connect; retrying', { error: (err as Error).message });
        await sleep(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }

  private async follow(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const consumer = await this.port.consumer({
          groupId: `tickflow-live-${this.options.engineId}`,
          readCommitted: false,
          maxWaitTimeMs: 250,
        });
        this.consumer = consumer;
        if (this.stopping) {
          await consumer.disconnect().catch(() => undefined);
          return;
        }
        await consumer.subscribe([LIVE_TOPIC], false);
        await consumer.run({
          autoCommit: false,
          onBatch: async (batch) => {
            const own = this.options.engineId;
            for (const record of batch.records) {
              const headers = record.headers;
              const channel = headers[CHANNEL_HEADER];
              if (headers[ENGINE_HEADER] === own || record.value === null || channel === undefined) continue;
              if (this.options.deliver(channel, record.value, Number(headers[INPUT_PARTITION_HEADER] ?? '-1'))) this.received++;
            }
          },
          onError: (error) => this.options.log('live feed consumer error; it rejoins', { error: error.message }),
        });
        this.options.log('following the live data of the other engines', { topic: LIVE_TOPIC, engine: this.options.engineId });
        return;
      } catch (err) {
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
        if (attempt === 0) this.options.log('live feed consumer cannot join; retrying', { error: (err as Error).message });
        await sleep(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }
}
