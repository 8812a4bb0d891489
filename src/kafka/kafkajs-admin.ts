// The admin role of the kafkajs KafkaPort (kafkajs-port.ts creates it): one
// of the kafkajs-*.ts files, the only ones that import kafkajs. Apart from the
// producer and consumer roles because each wraps a kafkajs client of its own
// and none calls another.

import type { Admin } from 'kafkajs';
import { KafkaError, call, toKafkaError } from './kafka-error';
import type { AdminPort, PartitionOffsets } from './kafka-port';

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

export function adminPort(admin: Admin, forget: () => void): AdminPort {
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
