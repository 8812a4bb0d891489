// Reads the last records of every partition of some topics, as a
// read_committed reader sees them, then stops. The mirror uses it to learn
// what it already committed before a crash; the Kafka source uses it to load
// checkpoints from their compacted topic.

import { randomUUID } from 'node:crypto';
import { KafkaError } from './kafka-error';
import type { ConsumedRecord, KafkaPort, TopicPartition } from './kafka-port';

export interface TailOptions {
  /** Records to read at most from the end of each partition (Infinity: from its start). */
  readonly perPartition: number;
  /** Only these partitions (default: every partition of the topics). */
  readonly partitions?: readonly TopicPartition[];
  readonly timeoutMs: number;
}

export async function readTail(port: KafkaPort, topics: readonly string[], options: TailOptions): Promise<ConsumedRecord[]> {
  const admin = await port.admin();
  const targets = new Map<string, { start: string; end: bigint }>();
  try {
    for (const topic of topics) {
      for (const { partition, low, high } of await admin.endOffsets(topic)) {
        if (options.partitions !== undefined && !options.partitions.some((p) => p.topic === topic && p.partition === partition)) continue;
        const end = BigInt(high);
        const first = BigInt(low);
        if (end <= first) continue;
        const from = options.perPartition === Infinity ? first : end - BigInt(options.perPartition);
        targets.set(`${topic}:${partition}`, { start: String(from > first ? from : first), end });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (targets.size === 0) return [];

  const records: ConsumedRecord[] = [];
  const pending = new Set(targets.keys());
  const consumer = await port.consumer({ groupId: `tickflow-tail-${randomUUID()}`, readCommitted: true, maxWaitTimeMs: 200 });
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(finish, options.timeoutMs);
  try {
    await consumer.subscribe([...topics], true);
    await consumer.run({
      autoCommit: false,
      onAssign: (assigned) => {
        for (const { topic, partition } of assigned) {
          const target = targets.get(`${topic}:${partition}`);
          if (target !== undefined) consumer.seek(topic, partition, target.start);
        }
      },
      onBatch: async (batch) => {
        const key = `${batch.topic}:${batch.partition}`;
        const target = targets.get(key);
        if (target === undefined) return;
        records.push(...batch.records.filter((r) => BigInt(r.offset) < target.end));
        if (BigInt(batch.nextOffset) >= target.end) {
          pending.delete(key);
          if (pending.size === 0) finish();
        }
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (pending.size > 0) {
    throw new KafkaError(`reading the end of ${[...pending].join(', ')} timed out after ${options.timeoutMs} ms`, { retriable: true });
  }
  return records;
}
