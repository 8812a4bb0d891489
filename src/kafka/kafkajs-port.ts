// KafkaPort on top of kafkajs: the one file that imports kafkajs. Whatever
// kafkajs throws leaves here as a KafkaError; its logs go to a tickflow Logger
// or nowhere, never to stdout (which belongs to command output).

import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type LogEntry,
  type Producer,
  type Transaction,
} from 'kafkajs';
import { KafkaError, toKafkaError } from './kafka-error';
import {
  checkConsumerOptions,
  checkProducerOptions,
  resolveKafkaOptions,
  type KafkaLogLevelName,
  type KafkaPortOptions,
} from './kafka-options';
import type {
  AdminPort,
  ConsumedBatch,
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerPort,
  KafkaPort,
  PartitionOffsets,
  ProducerOptions,
  ProducerPort,
  TopicPartition,
  TopicPartitionOffset,
  TransactionPort,
} from './kafka-port';
import { byTopic, toRecord } from './record-conversion';
import { byTopicPartitions, byTopicPartitionList, byTopicThenPartition, nextOf, tpKey } from './topic-partitions';

const LOG_LEVELS: Readonly<Record<KafkaLogLevelName, KafkaLogLevel>> = Object.freeze({
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
});

/** Connects a new client; a client that failed to connect is disconnected so that it leaves no socket or timer behind. */
async function connect(what: string, client: { connect(): Promise<void>; disconnect(): Promise<void> }): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw toKafkaError(`${what} connect`, error);
  }
}

/** Awaits a kafkajs call and rethrows its failure as a KafkaError naming the action. */
async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toKafkaError(action, error);
  }
}

/** Creates the KafkaPort; nothing connects until a producer, consumer or admin is asked for. */
export function createKafkaPort(options: KafkaPortOptions): KafkaPort {
  const resolved = resolveKafkaOptions(options);
  const retry = { retries: resolved.retries, initialRetryTime: resolved.initialRetryTimeMs, maxRetryTime: resolved.maxRetryTimeMs };
  const logger = resolved.logger;
  const kafka = new Kafka({
    clientId: resolved.clientId,
    brokers: [...resolved.brokers],
    connectionTimeout: resolved.connectionTimeoutMs,
    requestTimeout: resolved.requestTimeoutMs,
    retry,
    logLevel: LOG_LEVELS[resolved.logLevel],
    logCreator: () => (entry: LogEntry) => {
      if (logger === undefined) return;
      const fields: Record<string, unknown> = { namespace: entry.namespace };
      for (const [name, value] of Object.entries(entry.log)) {
        if (name !== 'message' && name !== 'timestamp' && name !== 'logger') fields[name] = value;
      }
      const msg = `kafka: ${entry.log.message}`;
      if (entry.level === KafkaLogLevel.ERROR) logger.error(msg, fields);
      else if (entry.level === KafkaLogLevel.WARN) logger.warn(msg, fields);
      else if (entry.level === KafkaLogLevel.INFO) logger.info(msg, fields);
      else logger.debug(msg, fields);
    },
  });

  const open = new Set<{ disconnect(): Promise<void> }>();
  function track<T extends { disconnect(): Promise<void> }>(client: T): T {
    open.add(client);
    return client;
  }

  return {
    async producer(producerOptions: ProducerOptions = {}): Promise<ProducerPort> {
      checkProducerOptions(producerOptions);
      const transactional = producerOptions.transactionalId !== undefined;
      const acks = producerOptions.acks === 'leader' ? 1 : -1;
      const producer = kafka.producer({
        idempotent: acks === -1,
        // One request in flight per broker keeps the order of batches when one is retried.
        maxInFlightRequests: 1,
        transactionalId: producerOptions.transactionalId,
        transactionTimeout: producerOptions.transactionTimeoutMs,
        allowAutoTopicCreation: false,
        // murmur2 like the Java client, so the same key lands on the same partition whoever writes it.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry,
      });
      await connect('producer', producer);
      const port = producerPort(producer, transactional, acks, () => open.delete(port));
      return track(port);
    },

    async consumer(consumerOptions: ConsumerOptions): Promise<ConsumerPort> {
      checkConsumerOptions(consumerOptions);
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        readUncommitted: consumerOptions.readCommitted === false,
        sessionTimeout: consumerOptions.sessionTimeoutMs,
        heartbeatInterval: consumerOptions.heartbeatIntervalMs,
        rebalanceTimeout: consumerOptions.rebalanceTimeoutMs,
        maxWaitTimeInMs: consumerOptions.maxWaitTimeMs,
        allowAutoTopicCreation: false,
        retry,
      });
      await connect('consumer', consumer);
      const port = consumerPort(consumer, () => open.delete(port));
      return track(port);
    },

    async admin(): Promise<AdminPort> {
      const admin = kafka.admin({ retry });
      await connect('admin', admin);
      const port = adminPort(admin, () => open.delete(port));
      return track(port);
    },

    async close(): Promise<void> {
      const clients = [...open];
      open.clear();
      const results = await Promise.allSettled(clients.map((client) => client.disconnect()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw toKafkaError('close', failed.reason);
    },
  };
}

function producerPort(producer: Producer, transactional: boolean, acks: -1 | 1, forget: () => void): ProducerPort {
  return {
    async send(records) {
      // kafkajs would write these under a separate, non-transactional producer id,
      // outside any transaction, which is never what a transactional caller means.
      if (transactional)
        throw new KafkaError('send() on a transactional producer: write through transaction() instead', { retriable: false });
      if (records.length === 0) return;
      await call('send', () => producer.sendBatch({ acks, topicMessages: byTopic(records) }));
    },
    async transaction() {
      if (!transactional) throw new KafkaError('transaction() needs a producer created with a transactionalId', { retriable: false });
      const txn = await call('begin transaction', () => producer.transaction());
      return transactionPort(txn);
    },
    async disconnect() {
      forget();
      await call('producer disconnect', () => producer.disconnect());
    },
  };
}

function transactionPort(txn: Transaction): TransactionPort {
  return {
    async send(records) {
      if (records.length === 0) return;
      await call('transactional send', () => txn.sendBatch({ acks: -1, topicMessages: byTopic(records) }));
    },
    sendOffsets: (groupId, offsets) =>
      call('transactional offset commit', () => txn.sendOffsets({ consumerGroupId: groupId, topics: byTopicPartitions(offsets) })),
    commit: () => call('transaction commit', () => txn.commit()),
    abort: () => call('transaction abort', () => txn.abort()),
  };
}

/**
 * kafkajs can only seek and pause once run() has built its consumer group, and
 * builds a new one (forgetting both) each time it restarts after a crash. So
 * this wrapper keeps the caller's seeks and pauses and replays them on every
 * GROUP_JOIN, which kafkajs emits after the assignment and before the first
 * fetch of that generation.
 */
function consumerPort(consumer: Consumer, forget: () => void): ConsumerPort {
  let handlers: ConsumerHandlers | null = null;
  let started = false;
  let joined = false;
  let firstCrash: unknown;
  let owned: TopicPartition[] = [];
  const queuedSeeks: TopicPartitionOffset[] = [];
  const paused = new Map<string, TopicPartition>();
  // Empty batches are announced from an instrumentation event, outside the
  // runner's own sequence; chaining per partition keeps onBatch calls in order.
  const chains = new Map<string, Promise<void>>();

  const report = (error: unknown): void => {
    try {
      handlers?.onError?.(toKafkaError('consumer', error));
    } catch {
      // A throwing error handler must not take the consumer down with it.
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    const assigned = Object.entries(event.payload.memberAssignment)
      .flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
      .sort(byTopicThenPartition);
    for (const seek of queuedSeeks.splice(0)) consumer.seek(seek);
    if (paused.size > 0) consumer.pause(byTopicPartitionList([...paused.values()]));
    const revoked = owned.filter((o) => !assigned.some((a) => a.topic === o.topic && a.partition === o.partition));
    owned = assigned;
    try {
      if (revoked.length > 0) handlers?.onRevoke?.(revoked);
      handlers?.onAssign?.(assigned);
    } catch (error) {
      report(error);
    }
  });

  consumer.on(consumer.events.CRASH, (event) => {
    if (joined) report(event.payload.error);
    else firstCrash ??= event.payload.error;
  });

  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
    const current = handlers;
    if (batchSize !== 0 || current === null) return;
    const key = tpKey(topic, partition);
    const next = (chains.get(key) ?? Promise.resolve())
      .then(() => current.onBatch({ topic, partition, records: [], nextOffset: nextOf(lastOffset), highWatermark }))
      .catch(report);
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  });

  /** Runs a kafkajs call that throws when no consumer group exists (between a crash and its restart); false then. */
  const tryOn = (fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };

  const stop = async (): Promise<void> => {
    await call('consumer stop', () => consumer.stop());
    await Promise.all(chains.values());
    started = false;
    handlers = null;
    owned = [];
  };

  return {
    async subscribe(topics, fromBeginning) {
      if (started) throw new KafkaError('subscribe() after run(): subscribe to every topic first', { retriable: false });
      await call('subscribe', () => consumer.subscribe({ topics, fromBeginning }));
    },

    async run(runHandlers) {
      if (started) throw new KafkaError('run() called on a consumer that is already running', { retriable: false });
      handlers = runHandlers;
      started = true;
      joined = false;
      firstCrash = undefined;
      await call('consumer run', () =>
        consumer.run({
          autoCommit: runHandlers.autoCommit,
          eachBatchAutoResolve: true,
          partitionsConsumedConcurrently: 1,
          eachBatch: async ({ batch }) => {
            const earlier = chains.get(tpKey(batch.topic, batch.partition));
            if (earlier !== undefined) await earlier;
            const consumed: ConsumedBatch = {
              topic: batch.topic,
              partition: batch.partition,
              records: batch.messages.map((m) => toRecord(batch.topic, batch.partition, m)),
              nextOffset: nextOf(batch.lastOffset()),
              highWatermark: batch.highWatermark,
            };
            await runHandlers.onBatch(consumed);
          },
        }),
      );
      if (!joined) {
        // kafkajs swallowed the failure and may have scheduled a restart; stop() cancels it.
        await consumer.stop().catch(() => undefined);
        started = false;
        handlers = null;
        throw toKafkaError('consumer group join', firstCrash ?? new Error('the consumer did not join its group'));
      }
    },

    seek(topic, partition, offset) {
      if (!/^\d+$/.test(offset))
        throw new KafkaError(`seek(${topic}, ${partition}): offset must be a non-negative integer string, got ${JSON.stringify(offset)}`, {
          retriable: false,
        });
      // Between a crash and kafkajs' restart there is no consumer group to
      // seek in; queued, the seek lands on the next assignment instead.
      if (!started || !tryOn(() => consumer.seek({ topic, partition, offset }))) queuedSeeks.push({ topic, partition, offset });
    },

    pause(partitions) {
      for (const tp of partitions) paused.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition });
      if (started && partitions.length > 0) tryOn(() => consumer.pause(byTopicPartitionList(partitions)));
    },

    resume(partitions) {
      for (const tp of partitions) paused.delete(tpKey(tp.topic, tp.partition));
      if (started && partitions.length > 0) tryOn(() => consumer.resume(byTopicPartitionList(partitions)));
    },

    async commitOffsets(offsets) {
      if (!started) throw new KafkaError('commitOffsets() before run(): offsets are committed as a group member', { retriable: false });
      await call('offset commit', () => consumer.commitOffsets(offsets));
    },

    stop,

    async disconnect() {
      forget();
      await stop();
      await call('consumer disconnect', () => consumer.disconnect());
    },
  };
}

const LEADER_WAIT_MS = 30_000;

/**
 * kafkajs' own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a
 * KRaft broker answers for a moment after creating a topic, before it has
 * applied the new metadata; so poll until every partition has a leader.
 */
async function waitForLeaders(admin: Admin, topics: ReadonlyArray<{ topic: string; numPartitions: number }>): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  let lastError: unknown = null;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = topics.every(({ topic, numPartitions }) => {
        const partitions = found.find((t) => t.name === topic)?.partitions ?? [];
        return partitions.length === numPartitions && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw toKafkaError(
        'create topics',
        lastError ?? new Error(`no leader for ${topics.map((t) => t.topic).join(', ')} within ${LEADER_WAIT_MS} ms`),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function adminPort(admin: Admin, forget: () => void): AdminPort {
  return {
    async createTopics(topics) {
      // kafkajs skips waiting for leaders when any requested topic exists, so
      // ask only for the missing ones.
      const existing = new Set(await call('list topics', () => admin.listTopics()));
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await call('create topics', () =>
        admin.createTopics({
          waitForLeaders: false,
          topics: missing.map(({ topic, numPartitions, configs }) => ({
            topic,
            numPartitions,
            configEntries: Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
        }),
      );
      await waitForLeaders(admin, missing);
    },

    async partitions(topic) {
      const metadata = await call('describe topic', () => admin.fetchTopicMetadata({ topics: [topic] }));
      const found = metadata.topics.find((t) => t.name === topic);
      if (found === undefined)
        throw new KafkaError(`topic ${topic} does not exist`, { retriable: false, brokerError: 'UNKNOWN_TOPIC_OR_PARTITION' });
      return found.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    },

    async endOffsets(topic): Promise<PartitionOffsets[]> {
      const offsets = await call('end offsets', () => admin.fetchTopicOffsets(topic));
      return offsets.map(({ partition, low, high }) => ({ partition, low, high })).sort((a, b) => a.partition - b.partition);
    },

    async committedOffsets(groupId, topic) {
      const topics = await call('committed offsets', () => admin.fetchOffsets({ groupId, topics: [topic] }));
      return (topics.find((t) => t.topic === topic)?.partitions ?? [])
        .map(({ partition, offset }) => ({ partition, offset }))
        .sort((a, b) => a.partition - b.partition);
    },

    async disconnect() {
      forget();
      await call('admin disconnect', () => admin.disconnect());
    },
  };
}
