// The consumer role of the kafkajs KafkaPort (kafkajs-port.ts creates it):
// one of the kafkajs-*.ts files, the only ones that import kafkajs. Apart
// from the producer and admin roles because each wraps a kafkajs client of
// its own and none calls another; this one takes the most mending (seeks and
// pauses replayed after each join, empty batches announced in order).

import type { Consumer } from 'kafkajs';
import { KafkaError, call, toKafkaError } from './kafka-error';
import type { ConsumedBatch, ConsumerHandlers, ConsumerPort, TopicPartition, TopicPartitionOffset } from './kafka-port';
import { toRecord } from './record-conversion';
import { byTopicPartitionList, byTopicThenPartition, nextOf, tpKey } from './topic-partitions';

/**
 * kafkajs can only seek and pause once run() has built its consumer group, and
 * builds a new one (forgetting both) each time it restarts after a crash. So
 * this wrapper keeps the caller's seeks and pauses and replays them on every
 * GROUP_JOIN, which kafkajs emits after the assignment and before the first
 * fetch of that generation.
 */
export function consumerPort(consumer: Consumer, forget: () => void): ConsumerPort {
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
