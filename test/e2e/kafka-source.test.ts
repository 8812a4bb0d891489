// The Kafka source against a real broker: engines in one consumer group read
// market-data-raw exactly once. After an engine is killed with SIGKILL
// mid-stream, the engine that takes its input partitions over restores their
// checkpoints, and the result topics, read back with kcat, hold every final
// record of the stream once per key, equal to `tickflow replay` of the same
// ticks. Subscribers of either engine see every symbol.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKafkaPort } from '../../src/kafka/kafkajs-port';
import { records, tickflow } from '../fixtures/cli';
import { multisetDifferences, type Row } from '../fixtures/compare';
import { startTestBroker, type TestBroker } from '../fixtures/kafka-broker';
import { duplicateKeys, kcatRead } from '../fixtures/kafka-read';
import { metric, startServer, type RunningServer } from '../fixtures/server-process';
import { until } from '../fixtures/until';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-kafka-source-'));
let broker: TestBroker;
/** Small windows, so a quiet stream's last windows close within seconds of idleness. */
const WINDOWS = ['--intervals', '1s,5s,5t,2000v', '--indicator-window', '10s', '--indicator-slide', '5s', '--lateness-ms', '1000'];
const RESULT_TOPICS = ['market-bars', 'market-indicators', 'anomaly-alerts', 'market-data-dlq'];

before(async () => {
  broker = await startTestBroker();
});

after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Generates a feed, publishes it to market-data-raw keyed by symbol, and returns what replay makes of it. */
async function publishFeed(name: string, seed: number, partitions: number, duration = '90s'): Promise<Array<Record<string, unknown>>> {
  const file = join(dir, `${name}.ndjson`);
  assert.equal(
    tickflow([
      'gen',
      '--symbols',
      '12',
      '--rate',
      '1000',
      '--duration',
      duration,
      '--seed',
      String(seed),
      '--anomaly-rate',
      '0.003',
      '--duplicate-rate',
      '0.001',
      '--invalid-rate',
      '0.001',
      '--out',
      file,
    ]).status,
    0,
  );
  await broker.createTopics([
    { topic: 'market-data-raw', numPartitions: partitions },
    ...RESULT_TOPICS.map((topic) => ({ topic, numPartitions: 3 })),
  ]);
  const port = createKafkaPort({ brokers: [broker.brokers], clientId: 'test-publisher' });
  try {
    const producer = await port.producer();
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    for (let i = 0; i < lines.length; i += 5000) {
      await producer.send(
        lines.slice(i, i + 5000).map((line) => {
          const symbol = /"symbol":"([^"]*)"/.exec(line)?.[1] ?? 'UNKNOWN';
          return { topic: 'market-data-raw', key: symbol, value: line };
        }),
      );
    }
  } finally {
    await port.close();
  }
  const out = records(tickflow(['replay', file, ...WINDOWS]).stdout);
  out.pop();
  // The end of a replayed file cuts each symbol's last activity bar short; a
  // live engine has no end and idle closing never cuts one, so it keeps
  // filling them.
  return out.filter((r) => r.complete !== false);
}

function engine(name: string, extra: readonly string[] = []): Promise<RunningServer> {
  // The default idle close (2 s): a symbol is quiet only when no batch of its
  // partition brought it a tick for that long, which catching up never does.
  return startServer([
    '--source',
    'kafka',
    '--kafka-brokers',
    broker.brokers,
    '--checkpoint-ms',
    '300',
    '--db',
    join(dir, `${name}.db`),
    ...WINDOWS,
    ...extra,
  ]);
}

/** Reads the result topics until they hold as many final bars as expected, then checks them. */
async function assertExactlyOnce(expected: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const wantBars = expected.filter((r) => r.type === 'bar').length;
  // Generous: a loaded machine slows the catch-up after a take-over, never the result.
  // On a timeout the comparison below names what is missing.
  await until(() => kcatRead(broker.brokers, 'market-bars').length >= wantBars, `${wantBars} bars in market-bars`, 240_000).catch(
    () => undefined,
  );
  const topics = [
    ['market-bars', 'bar'],
    ['market-indicators', 'indicator'],
    ['anomaly-alerts', 'alert'],
  ] as const;
  // The last indicator windows close after the last bars, once their
  // partition has been idle for --idle-close-ms: wait for every topic's count.
  for (const [topic, type] of topics) {
    const want = expected.filter((r) => r.type === type).length;
    await until(() => kcatRead(broker.brokers, topic).length >= want, `${want} records in ${topic}`, 60_000).catch(() => undefined);
  }
  for (const [topic, type] of topics) {
    const read = kcatRead(broker.brokers, topic);
    assert.deepEqual(duplicateKeys(read), [], `${topic} has a key twice`);
    assert.deepEqual(
      multisetDifferences(
        read.map((r) => JSON.parse(r.value) as Row),
        expected.filter((r) => r.type === type) as Row[],
        1e-9,
      ),
      [],
      topic,
    );
  }
}

describe('Kafka source', () => {
  it('a restarted engine takes over from its checkpoints after SIGKILL: every final record once per key', async () => {
    const expected = await publishFeed('restart', 41, 3);
    const first = await engine('restart-a');
    await until(async () => (await metric(first, 'tickflow_kafka_commits_total')) >= 6, 'a few committed transactions');
    first.process.kill('SIGKILL');
    await first.stop();
    const second = await engine('restart-b');
    try {
      await assertExactlyOnce(expected);
      assert.ok(
        second.logs.some((l) => l.includes('took over input partition') && /"offset":"\d+"/.test(l)),
        'no checkpoint was restored',
      );
      // Incremental: a take-over restores the partition's last checkpoints, several of them.
      assert.ok(
        second.logs.some((l) => l.includes('took over input partition') && /"checkpoints":([2-9]|\d\d)/.test(l)),
        'no take-over restored more than one checkpoint',
      );
    } finally {
      await second.stop();
    }
  });
});

describe('scale-out', () => {
  it(
    'two engines share the input; when one is killed the other takes its partitions over; subscribers of either see ' + 'every symbol',
    async () => {
      // Fresh topics for this test: a broker per describe would be slower than
      // new names, but topic names are fixed by SPEC, so restart the broker clean.
      await broker.stop();
      broker = await startTestBroker();
      const expected = await publishFeed('scale', 42, 4);
      const symbols = new Set(expected.map((r) => r.symbol as string));
      const a = await engine('scale-a');
      const b = await engine('scale-b');
      try {
        await until(
          async () =>
            (await metric(a, 'tickflow_kafka_partitions_owned')) >= 1 && (await metric(b, 'tickflow_kafka_partitions_owned')) >= 1,
          'both engines to own partitions',
        );
        const watcher = await TestClient.connect(`${b.ws}/ws`);
        watcher.send({ op: 'subscribe', channels: ['bars.5s.*'] });
        await watcher.reply('subscribed');
        await until(async () => (await metric(a, 'tickflow_kafka_commits_total')) >= 4, 'engine a to commit');
        a.process.kill('SIGKILL');
        await a.stop();
        await assertExactlyOnce(expected);
        assert.equal(await metric(b, 'tickflow_kafka_partitions_owned'), 4, 'b owns every input partition after a died');
        await until(
          () => new Set(watcher.data().map((f) => f.data.symbol as string)).size === symbols.size,
          'bars of every symbol on engine b',
        );
        await watcher.close();
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    },
  );
});

describe('full engine partitions', () => {
  it('pauses an input partition whose engine partition is full and reads it again from there: every final record once', async () => {
    await broker.stop();
    broker = await startTestBroker();
    // 30 s of ticks: every checkpoint copies the trailing series whole, and
    // through rings of 64 KiB a longer history makes checkpoints the bulk of the traffic.
    const expected = await publishFeed('full', 43, 3, '30s');
    // Rings of 64 KiB fill again and again while the engine catches up with the topic.
    const tight = await engine('full', ['--partitions', '2', '--ring-kib', '64']);
    try {
      const health: number[] = [];
      const done = assertExactlyOnce(expected);
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      while (!finished) {
        health.push((await fetch(`${tight.http}/health`)).status);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await done;
      assert.ok((await metric(tight, 'tickflow_kafka_input_pauses_total')) > 0, 'no input partition was ever paused');
      assert.ok(health.length > 0 && health.every((status) => status === 200), `/health answered ${health.join(',')}`);
    } finally {
      await tight.stop();
    }
  });
});
