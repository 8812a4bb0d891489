// Mirrors the store's outbox to Kafka, in order, exactly once.
//
// Each batch of outbox rows is sent in one Kafka transaction, every message
// carrying its row id in the `tickflow-outbox-id` header (and the mirror's
// transactional id in `tickflow-mirror`); rows are deleted only after the
// commit. After a crash, or any failure whose outcome is
// unknown (a commit whose answer was lost), the mirror reads the end of the
// output topics back: the highest committed id of this mirror there is what
// Kafka already has, so those rows are deleted rather than sent again. Transactions make
// that read exact: a batch is visible all or nothing, in id order. A new
// producer with the same transactional id also fences an old one that may
// still be alive.
//
// While the broker is away rows wait in SQLite (the outbox is on disk and
// survives restarts), bounded by `maxRows`: past it the oldest are dropped
// and counted. Nothing here blocks the engine: the mirror has its own thread.

import type { KafkaPort, KafkaRecord, ProducerPort } from './kafka-port';
import type { OutboxRow, OutboxTable } from './outbox-table';
import { readTail } from './topic-tail';
import { ALERTS_TOPIC, BARS_TOPIC, DEAD_LETTER_TOPIC, INDICATORS_TOPIC } from '../records/topics';

export const OUTBOX_ID_HEADER = 'tickflow-outbox-id';
/** Which mirror wrote a message: several engines may mirror into the same topics, each with its own outbox ids. */
export const MIRROR_HEADER = 'tickflow-mirror';
const OUTPUT_TOPICS = [BARS_TOPIC, INDICATORS_TOPIC, ALERTS_TOPIC, DEAD_LETTER_TOPIC];

export interface MirrorOptions {
  readonly transactionalId: string;
  /** Rows per transaction. */
  readonly batchRows: number;
  /** How long an empty outbox waits before looking again (the linger). */
  readonly idleMs: number;
  readonly maxRows: number;
  /** Longest wait between attempts while the broker is away. */
  readonly maxBackoffMs: number;
  /** Partitions of an output topic the mirror has to create (existing topics are left alone). */
  readonly topicPartitions: number;
}

export class MirrorStats {
  /** Rows committed to Kafka. */
  sent = 0;
  /** Rows found already committed after a failure (not sent twice). */
  recovered = 0;
  /** Rows dropped at the bound while the broker was away. */
  dropped = 0;
  failures = 0;
  connected = false;
  depth = 0;
  /** ms the oldest waiting row has waited; 0 when none waits. */
  lagMs = 0;
  lastError = '';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class OutboxMirror {
  readonly stats = new MirrorStats();
  private running = true;
  private producer: ProducerPort | null = null;
  /** Rows with ids up to here are in Kafka (or dropped). */
  private sentThrough = 0;

  constructor(
    private readonly port: KafkaPort,
    private readonly outbox: OutboxTable,
    private readonly options: MirrorOptions,
  ) {}

  async run(): Promise<void> {
    let backoff = 100;
    let synced = false;
    while (this.running) {
      try {
        this.refreshDepth();
        if (!synced) {
          await this.resync();
          synced = true;
        }
        const rows = this.outbox.after(this.sentThrough, this.options.batchRows);
        if (rows.length === 0) {
          await sleep(this.options.idleMs);
          continue;
        }
        await this.send(rows);
        backoff = 100;
      } catch (err) {
        this.stats.failures++;
        this.stats.connected = false;
        this.stats.lastError = (err as Error).message;
        synced = false;
        await this.dropProducer();
        this.stats.dropped += this.outbox.bound(this.options.maxRows);
        await sleep(backoff);
        backoff = Math.min(this.options.maxBackoffMs, backoff * 2);
      }
    }
    await this.dropProducer();
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  /**
   * Starts a producer (fencing any older one with this transactional id) and
   * learns from the topics which rows Kafka already holds.
   */
  private async resync(): Promise<void> {
    const admin = await this.port.admin();
    try {
      await admin.createTopics(OUTPUT_TOPICS.map((topic) => ({ topic, numPartitions: this.options.topicPartitions })));
    } finally {
      await admin.disconnect();
    }
    this.producer = await this.port.producer({ transactionalId: this.options.transactionalId });
    const tail = await readTail(this.port, OUTPUT_TOPICS, { perPartition: 200, timeoutMs: 30_000 });
    let committed = 0;
    for (const record of tail) {
      if (record.headers[MIRROR_HEADER] !== this.options.transactionalId) continue;
      const id = Number(record.headers[OUTBOX_ID_HEADER] ?? '0');
      if (id > committed) committed = id;
    }
    const before = this.outbox.depth().rows;
    this.outbox.removeUpTo(committed);
    this.stats.recovered += before - this.outbox.depth().rows;
    this.sentThrough = Math.max(this.sentThrough, committed);
    this.stats.connected = true;
  }

  private async send(rows: readonly OutboxRow[]): Promise<void> {
    const producer = this.producer;
    if (producer === null) throw new Error('the mirror has no producer');
    const records: KafkaRecord[] = rows.map((row) => ({
      topic: row.topic,
      key: row.key,
      value: row.value,
      headers: {
        ...(JSON.parse(row.headers) as Record<string, string>),
        [OUTBOX_ID_HEADER]: String(row.id),
        [MIRROR_HEADER]: this.options.transactionalId,
      },
    }));
    const last = (rows[rows.length - 1] as OutboxRow).id;
    const tx = await producer.transaction();
    try {
      await tx.send(records);
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    await tx.commit();
    this.sentThrough = last;
    this.outbox.removeUpTo(last);
    this.stats.sent += rows.length;
    this.stats.connected = true;
  }

  private refreshDepth(): void {
    const { rows, oldest } = this.outbox.depth();
    this.stats.depth = rows;
    this.stats.lagMs = oldest === null ? 0 : Math.max(0, Date.now() - oldest);
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }
}
