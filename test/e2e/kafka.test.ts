// The Kafka port against a real broker (Apache Kafka 3.9 from Maven Central,
// KRaft, started by the fixture), checked with an independent client, kcat
// (librdkafka), wherever "it is in the topic" is the claim.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors';
import type { Fields, Logger } from '../../src/log';
import { KafkaError } from '../../src/kafka/kafka-error';
import type { ConsumedRecord, KafkaPort } from '../../src/kafka/kafka-port';
import { createKafkaPort } from '../../src/kafka/kafkajs-port';
import { ALL_TOPICS, RAW_TOPIC, TOPIC_CONFIGS } from '../../src/records/topics';
import { startTestBroker, type TestBroker } from '../fixtures/kafka-broker';
import {
  GROUP,
  collect as collectFrom,
  eventually,
  kcatRows,
  unique,
  waitFor,
  type Collector,
  type KcatRow,
} from '../fixtures/kafka-probes';

let broker: TestBroker;
let kafka: KafkaPort;

// Short timeouts so that a stopped broker fails a call within seconds, not minutes.
const CLIENT = { connectionTimeoutMs: 1000, requestTimeoutMs: 5000, retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 500 } };

before(
  async () => {
    broker = await startTestBroker();
    kafka = createKafkaPort({ brokers: [broker.brokers], clientId: 'tickflow-test', ...CLIENT });
  },
  { timeout: 180_000 },
);

after(
  async () => {
    await kafka?.close();
    await broker?.stop();
  },
  { timeout: 60_000 },
);

const kcatRead = (topic: string, extra: readonly string[] = []): KcatRow[] => kcatRows(broker.brokers, topic, extra);
const collect = (groupId: string, topics: string[], options?: Parameters<typeof collectFrom>[3]): Promise<Collector> =>
  collectFrom(kafka, groupId, topics, options);

describe('kafka port against a real broker', () => {
  it('runs the broker from the Maven-fetched jars, creates topics idempotently and reports their partitions', async () => {
    const args = readFileSync(`/proc/${broker.pid()}/cmdline`, 'utf8').split('\0');
    assert.equal(args[args.indexOf('-cp') + 1], join(broker.libsDir, '*'));
    assert.ok(
      readdirSync(broker.libsDir).some((f) => /^kafka_2\.13-3\.9\.\d+\.jar$/.test(f)),
      'Kafka 3.9 jar in the cache',
    );

    const admin = await kafka.admin();
    try {
      await admin.createTopics(ALL_TOPICS.map((topic) => ({ topic, numPartitions: 3, configs: TOPIC_CONFIGS[topic] })));
      // Existing topics next to a new one: no error, and the new one is created.
      await admin.createTopics([
        { topic: RAW_TOPIC, numPartitions: 3 },
        { topic: 'admin-extra', numPartitions: 2 },
      ]);
      for (const topic of ALL_TOPICS) assert.deepEqual(await admin.partitions(topic), [0, 1, 2], topic);
      assert.deepEqual(await admin.partitions('admin-extra'), [0, 1]);
    } finally {
      await admin.disconnect();
    }

    const listed = spawnSync('kcat', ['-L', '-J', '-b', broker.brokers], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(listed.status, 0, listed.stderr);
    const metadata = JSON.parse(listed.stdout) as { topics: Array<{ topic: string; partitions: unknown[] }> };
    const counts = new Map(metadata.topics.map((t) => [t.topic, t.partitions.length]));
    for (const topic of ALL_TOPICS) assert.equal(counts.get(topic), 3, `kcat sees ${topic}`);
    assert.equal(counts.get('admin-extra'), 2);
  });

  it('round-trips keys, values and headers from the producer to an independent reader', async () => {
    const topic = unique('roundtrip');
    await broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await kafka.producer();
    const json = '{"price":187.5,"note":"€ and ünïcode"}';
    try {
      await producer.send([
        { topic, key: 'AAPL', value: json, headers: { reason: 'late', source: 'test' } },
        { topic, key: 'MSFT|1m|1700000000000', value: 'bar', partition: 0 },
      ]);
      await producer.send([{ topic, key: 'AAPL', value: 'second', headers: { reason: 'duplicate' } }]);
    } finally {
      await producer.disconnect();
    }
    const rows = kcatRead(topic);
    const aapl = rows.filter((r) => r.key === 'AAPL');
    assert.deepEqual(
      aapl.map(({ value, headers }) => ({ value, headers })),
      [
        { value: json, headers: 'reason=late,source=test' },
        { value: 'second', headers: 'reason=duplicate' },
      ],
      'one key, one partition, in send order',
    );
    // murmur2 of "AAPL" picks partition 1 of 2 (the Java client's choice too).
    assert.equal(aapl[0]?.partition, 1);
    assert.equal(aapl[1]?.partition, 1);
    assert.deepEqual(
      rows.filter((r) => r.key !== 'AAPL'),
      [{ partition: 0, key: 'MSFT|1m|1700000000000', value: 'bar', headers: '' }],
    );
  });

  it("writes in order per key with a producer that waits for the partition leader only (acks: 'leader')", async () => {
    const topic = unique('leader');
    await broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await kafka.producer({ acks: 'leader' });
    try {
      for (let i = 0; i < 3; i++) await producer.send([{ topic, key: 'AAPL', value: `v${i}`, headers: { 'tickflow-engine': 'e1' } }]);
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(
      kcatRead(topic).map(({ partition, value, headers }) => ({ partition, value, headers })),
      [0, 1, 2].map((i) => ({ partition: 1, value: `v${i}`, headers: 'tickflow-engine=e1' })),
    );
  });

  it('resumes a consumer group after the offsets its previous member committed (by hand, then automatically)', async () => {
    const topic = unique('group');
    const groupId = unique('group');
    await broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await kafka.producer();
    const first = Array.from({ length: 6 }, (_, i) => ({ topic, key: `k${i}`, value: `old-${i}`, partition: i % 2 }));
    await producer.send(first);

    const a = await collect(groupId, [topic], {
      onBatch: async (batch, c) => {
        await c.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
      },
    });
    await waitFor('the first member to read 6 records', () => a.records.length >= 6);
    await a.consumer.disconnect();
    assert.deepEqual(a.records.map((r) => r.value).sort(), first.map((r) => r.value).sort());

    const admin = await kafka.admin();
    const committed = await admin.committedOffsets(groupId, topic);
    const ends = await admin.endOffsets(topic);
    await admin.disconnect();
    assert.deepEqual(
      committed,
      ends.map((e) => ({ partition: e.partition, offset: e.high })),
    );

    const second = Array.from({ length: 4 }, (_, i) => ({ topic, key: `k${i}`, value: `new-${i}`, partition: i % 2 }));
    await producer.send(second);
    await producer.disconnect();
    const b = await collect(groupId, [topic], { autoCommit: true });
    await waitFor('the second member to read the 4 new records', () => b.records.length >= 4);
    await b.consumer.disconnect();
    // Old records come first in each partition, so any replay would show up here.
    assert.deepEqual(b.records.map((r) => r.value).sort(), second.map((r) => r.value).sort());

    const check = await kafka.admin();
    const newEnds = await check.endOffsets(topic);
    assert.deepEqual(
      await check.committedOffsets(groupId, topic),
      newEnds.map((e) => ({ partition: e.partition, offset: e.high })),
      'autoCommit committed what the second member processed',
    );
    await check.disconnect();
  });

  it('shows committed transactions to read_committed readers and hides aborted ones', async () => {
    const topic = unique('txn');
    await broker.createTopics([{ topic, numPartitions: 1 }]);
    const producer = await kafka.producer({ transactionalId: unique('txn-producer') });
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
    await broker.createTopics([
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 1 },
    ]);
    const plain = await kafka.producer();
    await plain.send(Array.from({ length: 6 }, (_, i) => ({ topic: input, key: `s${i}`, value: `tick-${i}` })));
    await plain.disconnect();

    const tx = await kafka.producer({ transactionalId: unique('ctp-producer') });
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

    const admin = await kafka.admin();
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

  it('stops delivering a paused partition and delivers it again after resume', async () => {
    const topic = unique('pause');
    await broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await kafka.producer();
    const c = await collect(unique('pause'), [topic]);
    c.consumer.pause([{ topic, partition: 0 }]);

    await producer.send([{ topic, key: 'a', value: 'p0-first', partition: 0 }]);
    await producer.send([{ topic, key: 'b', value: 'p1-first', partition: 1 }]);
    await waitFor('p1-first', () => c.records.some((r) => r.value === 'p1-first'));
    // One more full fetch of partition 1, written after p0-first: had partition 0
    // been fetched, p0-first would have been delivered by now.
    await producer.send([{ topic, key: 'b', value: 'p1-second', partition: 1 }]);
    await waitFor('p1-second', () => c.records.some((r) => r.value === 'p1-second'));
    assert.equal(
      c.records.some((r) => r.partition === 0),
      false,
      'nothing from the paused partition',
    );

    c.consumer.resume([{ topic, partition: 0 }]);
    await waitFor('p0-first after resume', () => c.records.some((r) => r.value === 'p0-first'));
    await c.consumer.disconnect();
    await producer.disconnect();
    assert.deepEqual(
      c.records.map((r) => r.value),
      ['p1-first', 'p1-second', 'p0-first'],
    );
  });

  it('seeks before run (queued until assignment) and while running', async () => {
    const topic = unique('seek');
    await broker.createTopics([{ topic, numPartitions: 1 }]);
    const producer = await kafka.producer();
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, key: 'k', value: `v${i}` })));
    await producer.disconnect();
    const assignments: string[] = [];
    const consumer = await kafka.consumer({ groupId: unique('seek'), ...GROUP });
    const records: ConsumedRecord[] = [];
    await consumer.subscribe([topic], true);
    consumer.seek(topic, 0, '3');
    await consumer.run({
      autoCommit: false,
      onAssign: (assigned) => assignments.push(assigned.map((tp) => `${tp.topic}:${tp.partition}`).join(',')),
      onBatch: async (batch) => {
        records.push(...batch.records);
      },
    });
    assert.deepEqual(assignments, [`${topic}:0`], 'onAssign reports the assignment before run() resolves');
    await waitFor('v4', () => records.some((r) => r.value === 'v4'));
    assert.deepEqual(
      records.map((r) => `${r.offset}:${r.value}`),
      ['3:v3', '4:v4'],
    );

    consumer.seek(topic, 0, '1');
    await waitFor('v4 again', () => records.filter((r) => r.value === 'v4').length === 2);
    await consumer.disconnect();
    assert.deepEqual(
      records.map((r) => r.value),
      ['v3', 'v4', 'v1', 'v2', 'v3', 'v4'],
    );
  });

  it('reads a compacted topic to its end even when the end is an aborted transaction', async () => {
    const topic = unique('checkpoints');
    await broker.createTopics([{ topic, numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const producer = await kafka.producer({ transactionalId: unique('ckpt-writer') });
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

    const admin = await kafka.admin();
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

  it('rejects options it cannot use, naming the option', async () => {
    assert.throws(
      () => createKafkaPort({ brokers: [], clientId: 'x' }),
      (e: unknown) => e instanceof ConfigError && /kafka option brokers: expected one or more "host:port", got \[\]/.test(e.message),
    );
    assert.throws(() => createKafkaPort({ brokers: ['localhost'], clientId: 'x' }), /kafka option brokers/);
    assert.throws(
      () => createKafkaPort({ brokers: ['127.0.0.1:9092'], clientId: '' }),
      /kafka option clientId: expected a non-empty string/,
    );
    assert.throws(
      () => createKafkaPort({ brokers: ['127.0.0.1:9092'], clientId: 'x', retry: { retries: -1 } }),
      /kafka option retry\.retries: expected an integer >= 0, got -1/,
    );
    assert.throws(
      () => createKafkaPort({ brokers: ['127.0.0.1:9092'], clientId: 'x', connectionTimeoutMs: 0.5 }),
      /kafka option connectionTimeoutMs: expected an integer >= 1, got 0\.5/,
    );
    // Checked before anything connects: this port points at a closed port.
    const offline = createKafkaPort({ brokers: ['127.0.0.1:1'], clientId: 'x' });
    await assert.rejects(
      offline.consumer({ groupId: '' }),
      (e: unknown) => e instanceof ConfigError && /kafka consumer option groupId: expected a non-empty string, got ""/.test(e.message),
    );
    await assert.rejects(
      offline.consumer({ groupId: 'g', sessionTimeoutMs: 3000, heartbeatIntervalMs: 3000 }),
      /kafka consumer option heartbeatIntervalMs: expected less than sessionTimeoutMs \(3000\), got 3000/,
    );
    await assert.rejects(offline.producer({ transactionalId: '' }), /kafka producer option transactionalId: expected a non-empty string/);
    await assert.rejects(
      offline.producer({ transactionTimeoutMs: 0 }),
      /kafka producer option transactionTimeoutMs: expected an integer >= 1, got 0/,
    );
    await assert.rejects(offline.producer({ acks: 'none' as 'all' }), /kafka producer option acks: expected "all" or "leader", got "none"/);
    await assert.rejects(
      offline.producer({ transactionalId: 't', acks: 'leader' }),
      /kafka producer option acks: expected "all" with a transactionalId \(transactions need idempotence\), got "leader"/,
    );
    await offline.close();
  });

  // Last: it takes the broker away and brings it back.
  it(
    'fails a send with a retriable KafkaError while the broker is down and sends again once it is back',
    { timeout: 120_000 },
    async () => {
      const topic = unique('restart');
      await broker.createTopics([{ topic, numPartitions: 1 }]);
      const logged: string[] = [];
      const capture = (msg: string, fields?: Fields): void => {
        logged.push(`${msg} ${JSON.stringify(fields ?? {})}`);
      };
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
      const port = createKafkaPort({ brokers: [broker.brokers], clientId: 'tickflow-restart', logLevel: 'error', logger, ...CLIENT });
      try {
        const producer = await port.producer();
        await producer.send([{ topic, key: 'k', value: 'before' }]);

        await broker.halt();
        await assert.rejects(producer.send([{ topic, key: 'k', value: 'during' }]), (e: unknown) => {
          assert.ok(e instanceof KafkaError, String(e));
          assert.equal(e.code, 'ERR_TICKFLOW_KAFKA');
          assert.equal(e.retriable, true, e.message);
          return true;
        });
        assert.ok(logged.length > 0, 'kafkajs errors reach the given logger');

        await broker.restart();
        await producer.send([{ topic, key: 'k', value: 'after' }]);
        assert.deepEqual(
          kcatRead(topic).map((r) => r.value),
          ['before', 'after'],
        );
      } finally {
        await port.close();
      }
    },
  );
});
