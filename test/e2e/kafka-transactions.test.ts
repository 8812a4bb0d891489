// Kafka transactions through the port against a real broker (Apache Kafka
// 3.9, KRaft, started by the fixture): what read_committed readers see,
// offsets committed with a transaction, and reading a compacted topic to an
// end that is an aborted transaction. Checked with kcat (librdkafka) where
// "it is in the topic" is the claim.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaError } from '../../src/kafka/kafka-error';
import { useKafka } from '../fixtures/kafka-suite';
import { eventually, unique, waitFor } from '../fixtures/kafka-probes';

const suite = useKafka();
const { kcatRead, collect } = suite;

describe('kafka transactions against a real broker', () => {
  it('shows committed transactions to read_committed readers and hides aborted ones', async () => {
    const topic = unique('txn');
    await suite.broker.createTopics([{ topic, numPartitions: 1 }]);
    const producer = await suite.kafka.producer({ transactionalId: unique('txn-producer') });
    const write = async (values: string[], outcome: 'commit' | 'abort'): Promise<void> => {
      const txn = await producer.transaction();
      await txn.send(values.map((value) => ({ topic, key: 'k', value })));
      if (outcome === 'commit') await txn.commit();
      else await txn.abort();
    };
    await write(['c1', 'c2', 'c3'], 'commit');
    await write(['a1', 'a2'], 'abort');
    await write(['c4'], 'commit');
    await assert.rejects(
      producer.send([{ topic, key: 'k', value: 'outside' }]),
      (e: unknown) => e instanceof KafkaError && !e.retriable && /transaction\(\)/.test(e.message),
    );
    await producer.disconnect();

    const values = (extra: string[] = []): string[] => kcatRead(topic, extra).map((r) => r.value);
    const committed = await eventually(
      'c4 to be visible',
      () => values(),
      (v) => v.includes('c4'),
    );
    assert.deepEqual(committed, ['c1', 'c2', 'c3', 'c4'], 'kcat default: read_committed');
    assert.deepEqual(
      kcatRead(topic, ['-X', 'isolation.level=read_uncommitted']).map((r) => r.value),
      ['c1', 'c2', 'c3', 'a1', 'a2', 'c4'],
      'the aborted records are in the log',
    );

    const reader = await collect(unique('txn-reader'), [topic]);
    await waitFor('c4', () => reader.records.some((r) => r.value === 'c4'));
    await reader.consumer.disconnect();
    assert.deepEqual(
      reader.records.map((r) => r.value),
      ['c1', 'c2', 'c3', 'c4'],
    );
  });

  it('commits consumer offsets atomically with a transaction (consume-transform-produce)', async () => {
    const input = unique('ctp-in');
    const output = unique('ctp-out');
    const groupId = unique('ctp');
    await suite.broker.createTopics([
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 1 },
    ]);
    const plain = await suite.kafka.producer();
    await plain.send(Array.from({ length: 6 }, (_, i) => ({ topic: input, key: `s${i}`, value: `tick-${i}` })));
    await plain.disconnect();

    const tx = await suite.kafka.producer({ transactionalId: unique('ctp-producer') });
    const loop = await collect(groupId, [input], {
      onBatch: async (batch) => {
        if (batch.records.length === 0) return;
        const txn = await tx.transaction();
        await txn.send(batch.records.map((r) => ({ topic: output, key: r.key ?? '', value: (r.value ?? '').toUpperCase() })));
        await txn.sendOffsets(groupId, [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
        await txn.commit();
      },
    });
    await waitFor('6 input records processed', () => loop.records.length >= 6);
    await loop.consumer.disconnect();

    const admin = await suite.kafka.admin();
    try {
      const ends = (await admin.endOffsets(input)).map((e) => ({ partition: e.partition, offset: e.high }));
      await eventually(
        'the offsets of the last transaction',
        () => admin.committedOffsets(groupId, input),
        (offsets) => JSON.stringify(offsets) === JSON.stringify(ends),
      );
      const outputs = await eventually(
        '6 output records',
        () => kcatRead(output).map((r) => r.value),
        (v) => v.length >= 6,
      );
      assert.deepEqual(outputs.sort(), ['TICK-0', 'TICK-1', 'TICK-2', 'TICK-3', 'TICK-4', 'TICK-5']);

      // Aborted: neither its record nor its offset (partition 1) lands. Committed: both do (partition 0).
      const other = unique('ctp-other');
      const aborted = await tx.transaction();
      await aborted.send([{ topic: output, key: 'x', value: 'ghost' }]);
      await aborted.sendOffsets(other, [{ topic: input, partition: 1, offset: '3' }]);
      await aborted.abort();
      const committed = await tx.transaction();
      await committed.send([{ topic: output, key: 'x', value: 'kept' }]);
      await committed.sendOffsets(other, [{ topic: input, partition: 0, offset: '1' }]);
      await committed.commit();
      await eventually(
        'the committed offset',
        () => admin.committedOffsets(other, input),
        (o) => o[0]?.offset === '1',
      );
      // Markers are written in order, so once "kept" is visible the abort has been applied too.
      const visible = await eventually(
        '"kept"',
        () => kcatRead(output).map((r) => r.value),
        (v) => v.includes('kept'),
      );
      assert.equal(visible.includes('ghost'), false, 'the aborted record stays invisible');
      assert.ok(
        kcatRead(output, ['-X', 'isolation.level=read_uncommitted']).some((r) => r.value === 'ghost'),
        'though it is in the log',
      );
      assert.deepEqual(await admin.committedOffsets(other, input), [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '-1' },
      ]);
    } finally {
      await admin.disconnect();
      await tx.disconnect();
    }
  });

  it('reads a compacted topic to its end even when the end is an aborted transaction', async () => {
    const topic = unique('checkpoints');
    await suite.broker.createTopics([{ topic, numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const producer = await suite.kafka.producer({ transactionalId: unique('ckpt-writer') });
    const txn = await producer.transaction();
    await txn.send([
      { topic, key: 'p0', value: 'v1' },
      { topic, key: 'p1', value: 'v1' },
      { topic, key: 'p2', value: 'v1' },
    ]);
    await txn.commit();
    const txn2 = await producer.transaction();
    await txn2.send([
      { topic, key: 'p0', value: 'v2' },
      { topic, key: 'p2', value: null },
    ]);
    await txn2.commit();

    const admin = await suite.kafka.admin();
    const latest = new Map<string, string | null>();
    const position = new Map<number, bigint>();
    const reader = await collect(unique('ckpt-reader'), [topic], {
      onBatch: async (batch) => {
        for (const r of batch.records) latest.set(r.key ?? '', r.value);
        position.set(batch.partition, BigInt(batch.nextOffset));
      },
    });
    // The end a reader waits for is the last stable offset at the time it asks;
    // here the test knows where the end will be (records + one marker per
    // transaction) and waits for the broker to get there first.
    const readToEnd = async (end: string): Promise<void> => {
      await eventually(
        `end offset ${end}`,
        () => admin.endOffsets(topic),
        (e) => e[0]?.high === end,
      );
      await waitFor(`position ${end}`, () => position.get(0) === BigInt(end));
    };
    try {
      await readToEnd('7');
      assert.deepEqual(Object.fromEntries(latest), { p0: 'v2', p1: 'v1', p2: null }, 'a tombstone arrives as null');

      // A writer that died mid-transaction leaves aborted records and a marker
      // at the end; the reader must still see its position reach the end.
      const batchesBefore = reader.batches.length;
      const ghost = await producer.transaction();
      await ghost.send([{ topic, key: 'p1', value: 'ghost' }]);
      await ghost.abort();
      await readToEnd('9');
      assert.equal(latest.get('p1'), 'v1');
      assert.ok(
        reader.batches.slice(batchesBefore).some((b) => b.records.length === 0),
        'an empty batch carried the position',
      );
    } finally {
      await reader.consumer.disconnect();
      await admin.disconnect();
      await producer.disconnect();
    }
  });
});
