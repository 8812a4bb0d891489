// The Kafka operations tickflow needs, and nothing else. kafkajs is in
// maintenance mode upstream, so only the kafkajs-*.ts files here may know it;
// the engine, the mirror and the tests talk to these types. Every method that
// fails rejects with a KafkaError (src/kafka/kafka-error.ts).
//
// Offsets are int64 and travel as decimal strings. An offset handed to
// seek/commit/sendOffsets is always the NEXT offset to read (Kafka's convention).

/** One record to write. `value: null` is a tombstone (deletes the key in a compacted topic). */
export interface KafkaRecord {
  topic: string;
  key: string;
  value: string | null;
  headers?: Record<string, string>;
  /** Explicit partition; default: murmur2(key), the Java client's partitioner. */
  partition?: number;
}

/** One record read. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** null for a tombstone. */
  value: string | null;
  headers: Record<string, string>;
  /** ms since the epoch, as a decimal string. */
  timestamp: string;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read. */
  offset: string;
}

/** What one fetch brought for one partition. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  /**
   * In offset order. Empty when the fetch held only transaction markers or
   * aborted records: nothing to process, but the position moved (`nextOffset`),
   * which a reader waiting for the end of a topic must see. (A rejected empty
   * batch is reported to onError, not delivered again.)
   */
  records: ConsumedRecord[];
  /** The position after this batch: commit or sendOffsets this value once the records are processed. */
  nextOffset: string;
  /** The partition's high watermark when fetched (may be above what read_committed can see). */
  highWatermark: string;
}

export interface ConsumerHandlers {
  /**
   * Called per batch, one partition at a time, in offset order. The records
   * count as processed when the promise resolves; if it rejects, the same batch
   * is delivered again (kafkajs retries, then rejoins the group).
   */
  onBatch(batch: ConsumedBatch): Promise<void>;
  /** The full set of partitions this member owns after each rebalance; seek() here to resume from a checkpoint. */
  onAssign?(assigned: TopicPartition[]): void;
  /** Partitions lost in a rebalance. Reported AFTER the fact (kafkajs has no pre-revoke hook). */
  onRevoke?(revoked: TopicPartition[]): void;
  /** The consumer crashed; when `error.retriable` kafkajs restarts it and rejoins by itself. */
  onError?(error: Error): void;
  /** true: kafkajs commits processed offsets itself. Use false with transactions (offsets go through sendOffsets). */
  autoCommit: boolean;
}

export interface KafkaPort {
  /** An idempotent producer (acks from all in-sync replicas) unless `acks: 'leader'`; with `transactionalId`, a transactional one. */
  producer(options?: ProducerOptions): Promise<ProducerPort>;
  /** A consumer in a group; subscribe, then run. */
  consumer(options: ConsumerOptions): Promise<ConsumerPort>;
  /** A connected admin client. */
  admin(): Promise<AdminPort>;
  /** Disconnects every producer, consumer and admin this port created. */
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** Makes the producer transactional; a newer producer with the same id fences this one. */
  transactionalId?: string;
  /**
   * 'all' (default): a send resolves once every in-sync replica has the
   * records, and the producer is idempotent. 'leader': once the partition's
   * leader has them, not idempotent (a retried batch may be written twice):
   * for data that newer data supersedes, where a shorter wait matters more.
   * Not with `transactionalId`.
   */
  acks?: 'all' | 'leader';
  /** ms the broker lets a transaction stay open before aborting it; default 60000. */
  transactionTimeoutMs?: number;
}

export interface ConsumerOptions {
  groupId: string;
  /** Skip records of open and aborted transactions; default true. */
  readCommitted?: boolean;
  /** ms without a heartbeat before the group evicts this member; default 30000. */
  sessionTimeoutMs?: number;
  /** ms between heartbeats; default 3000, must be below sessionTimeoutMs. */
  heartbeatIntervalMs?: number;
  /** ms the group waits for members to rejoin during a rebalance; default 60000. */
  rebalanceTimeoutMs?: number;
  /** ms a fetch waits on the broker for new data; default 5000 (also bounds how long stop() can take). */
  maxWaitTimeMs?: number;
}

export interface ProducerPort {
  /** Writes one batch (any topics); resolves once acked as the producer's `acks` says. Not on a transactional producer. */
  send(records: KafkaRecord[]): Promise<void>;
  /** Begins a transaction (transactional producers only; one open transaction at a time). */
  transaction(): Promise<TransactionPort>;
  disconnect(): Promise<void>;
}

export interface TransactionPort {
  /** Writes records inside the transaction; invisible to read_committed readers until commit. */
  send(records: KafkaRecord[]): Promise<void>;
  /** Commits a group's consumer offsets (next offsets to read) atomically with the transaction's records. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ConsumerPort {
  /** Adds topics to the subscription; only before run(). fromBeginning applies where the group has no committed offset. */
  subscribe(topics: string[], fromBeginning: boolean): Promise<void>;
  /**
   * Joins the group and starts delivery; resolves after the first assignment
   * (rejects if it cannot join). Delivery goes on until stop().
   */
  run(handlers: ConsumerHandlers): Promise<void>;
  /** Next fetch of an owned partition starts at offset; queued until the first assignment when called before run(). */
  seek(topic: string, partition: number, offset: string): void;
  /** Stops fetching these partitions; a batch already fetched may still be delivered. */
  pause(partitions: TopicPartition[]): void;
  /** Fetches paused partitions again from where they stopped. */
  resume(partitions: TopicPartition[]): void;
  /** Commits offsets (next offsets to read) for partitions this member owns; only after run(). */
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Waits for the batch in progress, then leaves the group. */
  stop(): Promise<void>;
  /** stop(), then closes the connections. */
  disconnect(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** The first offset still in the log. */
  low: string;
  /** The end as a read_committed reader sees it (the last stable offset). */
  high: string;
}

export interface AdminPort {
  /** Creates the missing topics (broker's default replication) and waits for their leaders; existing ones are left as they are. */
  createTopics(topics: Array<{ topic: string; numPartitions: number; configs?: Record<string, string> }>): Promise<void>;
  /** The topic's partition numbers, ascending. */
  partitions(topic: string): Promise<number[]>;
  /** Per partition, the first and the end offset. */
  endOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The group's committed offsets for the topic; "-1" where it committed none. */
  committedOffsets(groupId: string, topic: string): Promise<Array<{ partition: number; offset: string }>>;
  disconnect(): Promise<void>;
}
