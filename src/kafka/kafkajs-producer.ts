// The producer role of the kafkajs KafkaPort, and its transactions
// (kafkajs-port.ts creates it): one of the kafkajs-*.ts files, the only ones
// that import kafkajs. Apart from the consumer and admin roles because each
// wraps a kafkajs client of its own and none calls another.

import type { Producer, Transaction } from 'kafkajs';
import { KafkaError, call } from './kafka-error';
import type { ProducerPort, TransactionPort } from './kafka-port';
import { byTopic } from './record-conversion';
import { byTopicPartitions } from './topic-partitions';

export function producerPort(producer: Producer, transactional: boolean, acks: -1 | 1, forget: () => void): ProducerPort {
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
