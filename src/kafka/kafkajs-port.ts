// KafkaPort on top of kafkajs: the client, its options and its logs, and the
// factory of the three roles, each in a file of its own (kafkajs-producer.ts,
// kafkajs-consumer.ts, kafkajs-admin.ts). These four kafkajs-*.ts files are
// the only ones that import kafkajs. Whatever kafkajs throws leaves them as a
// KafkaError; its logs go to a tickflow Logger or nowhere, never to stdout
// (which belongs to command output).

import { Kafka, Partitioners, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import { toKafkaError } from './kafka-error';
import {
  checkConsumerOptions,
  checkProducerOptions,
  resolveKafkaOptions,
  type KafkaLogLevelName,
  type KafkaPortOptions,
} from './kafka-options';
import type { AdminPort, ConsumerOptions, ConsumerPort, KafkaPort, ProducerOptions, ProducerPort } from './kafka-port';
import { adminPort } from './kafkajs-admin';
import { consumerPort } from './kafkajs-consumer';
import { producerPort } from './kafkajs-producer';

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
