// Small conversions between the port's flat topic-partition lists and the
// per-topic shapes Kafka clients take.

import type { TopicPartition, TopicPartitionOffset } from './kafka-port';

/** A Map key for one topic-partition (NUL cannot occur in a topic name). */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** offset + 1 on int64 decimal strings. */
export const nextOf = (offset: string): string => (BigInt(offset) + 1n).toString();

/** Sort order: topic, then partition. */
export const byTopicThenPartition = (a: TopicPartition, b: TopicPartition): number =>
  a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;

/** Offsets grouped per topic, for offset commits. */
export function byTopicPartitions(
  offsets: readonly TopicPartitionOffset[],
): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset });
    topics.set(topic, partitions);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Partitions grouped per topic, for pause and resume. */
export function byTopicPartitionList(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}
