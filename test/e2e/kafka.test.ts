// The Kafka port against a real broker (Apache Kafka 3.9 from Maven Central,
// KRaft, started by the fixture), checked with an independent client, kcat
// (librdkafka), wherever "it is in the topic" is the claim.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors';
import type { Fields, Logger } from '../../src/log';
import { KafkaError } from '../../src/kafka/kafka-error';
import type { ConsumedRecord } from '../../src/kafka/kafka-port';
import { createKafkaPort } from '../../src/kafka/kafkajs-port';
import { ALL_TOPICS, RAW_TOPIC, TOPIC_CONFIGS } from '../../src/records/topics';
import { CLIENT, useKafka } from '../fixtures/kafka-suite';
import { GROUP, unique, waitFor } from '../fixtures/kafka-probes';

const suite = useKafka();
const { kcatRead, collect } = suite;

describe('kafka port against a real broker', () => {
  it('runs the broker from the Maven-fetched jars, creates topics idempotently and reports their partitions', async () => {
    const args = readFileSync(`/proc/${suite.broker.pid()}/cmdline`, 'utf8').split('\0');
    assert.equal(args[args.indexOf('-cp') + 1], join(suite.broker.libsDir, '*'));
    assert.ok(
      readdirSync(suite.broker.libsDir).some((f) => /^kafka_2\.13-3\.9\.\d+\.jar$/.test(f)),
      'Kafka 3.9 jar in the cache',
    );

    const admin = await suite.kafka.admin();
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

    const listed = spawnSync('kcat', ['-L', '-J', '-b', suite.broker.brokers], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(listed.status, 0, listed.stderr);
    const metadata = JSON.parse(listed.stdout) as { topics: Array<{ topic: string; partitions: unknown[] }> };
    const counts = new Map(metadata.topics.map((t) => [t.topic, t.partitions.length]));
    for (const topic of ALL_TOPICS) assert.equal(counts.get(topic), 3, `kcat sees ${topic}`);
    assert.equal(counts.get('admin-extra'), 2);
  });

  it('round-trips keys, values and headers from the producer to an independent reader', async () => {
    const topic = unique('roundtrip');
    await suite.broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await suite.kafka.producer();
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
    await suite.broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await suite.kafka.producer({ acks: 'leader' });
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
    await suite.broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await suite.kafka.producer();
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

    const admin = await suite.kafka.admin();
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

    const check = await suite.kafka.admin();
    const newEnds = await check.endOffsets(topic);
    assert.deepEqual(
      await check.committedOffsets(groupId, topic),
      newEnds.map((e) => ({ partition: e.partition, offset: e.high })),
      'autoCommit committed what the second member processed',
    );
    await check.disconnect();
  });

  it('stops delivering a paused partition and delivers it again after resume', async () => {
    const topic = unique('pause');
    await suite.broker.createTopics([{ topic, numPartitions: 2 }]);
    const producer = await suite.kafka.producer();
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
    await suite.broker.createTopics([{ topic, numPartitions: 1 }]);
    const producer = await suite.kafka.producer();
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, key: 'k', value: `v${i}` })));
    await producer.disconnect();
    const assignments: string[] = [];
    const consumer = await suite.kafka.consumer({ groupId: unique('seek'), ...GROUP });
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
      await suite.broker.createTopics([{ topic, numPartitions: 1 }]);
      const logged: string[] = [];
      const capture = (msg: string, fields?: Fields): void => {
        logged.push(`${msg} ${JSON.stringify(fields ?? {})}`);
      };
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
      const port = createKafkaPort({ brokers: [suite.broker.brokers], clientId: 'tickflow-restart', logLevel: 'error', logger, ...CLIENT });
      try {
        const producer = await port.producer();
        await producer.send([{ topic, key: 'k', value: 'before' }]);

        await suite.broker.halt();
        await assert.rejects(producer.send([{ topic, key: 'k', value: 'during' }]), (e: unknown) => {
          assert.ok(e instanceof KafkaError, String(e));
          assert.equal(e.code, 'ERR_TICKFLOW_KAFKA');
          assert.equal(e.retriable, true, e.message);
          return true;
        });
        assert.ok(logged.length > 0, 'kafkajs errors reach the given logger');

        await suite.broker.restart();
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
