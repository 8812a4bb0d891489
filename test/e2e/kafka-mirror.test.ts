// The Kafka mirror against a real broker (Apache Kafka's own jars, KRaft),
// read back with an independent client (kcat): every final record of a
// replayed file lands in the result topics exactly once per key, while the
// broker is stopped for a while mid-run (the outbox holds and then drains,
// WebSocket delivery goes on) and when the engine is killed with SIGKILL
// mid-stream and restarted.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { records, tickflow } from '../fixtures/cli';
import { multisetDifferences, type Row } from '../fixtures/compare';
import { startTestBroker, type TestBroker } from '../fixtures/kafka-broker';
import { duplicateKeys, kcatRead } from '../fixtures/kafka-read';
import { metric, startServer } from '../fixtures/server-process';
import { until } from '../fixtures/until';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-kafka-mirror-'));
const TOPICS = ['market-bars', 'market-indicators', 'anomaly-alerts', 'market-data-dlq'];
let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});

after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A generated feed; `start` keeps the feeds of different tests apart in event time, so their keys never meet. */
function feed(
  name: string,
  seed: number,
  start: number,
): { file: string; expected: Array<Record<string, unknown>>; stats: Record<string, number> } {
  const file = join(dir, `${name}.ndjson`);
  assert.equal(
    tickflow([
      'gen',
      '--symbols',
      '6',
      '--rate',
      '200',
      '--duration',
      '3m',
      '--seed',
      String(seed),
      '--anomaly-rate',
      '0.005',
      '--invalid-rate',
      '0.001',
      '--start',
      String(start),
      '--out',
      file,
    ]).status,
    0,
  );
  const out = records(tickflow(['replay', file]).stdout);
  const stats = out.pop() as Record<string, number>;
  return { file, expected: out, stats };
}

/** Every topic, read back, must hold the replay's records once per key. */
function assertTopicsHold(expected: ReadonlyArray<Record<string, unknown>>, rejected: number): void {
  const byTopic = new Map(TOPICS.map((t) => [t, kcatRead(broker.brokers, t)]));
  for (const [topic, type] of [
    ['market-bars', 'bar'],
    ['market-indicators', 'indicator'],
    ['anomaly-alerts', 'alert'],
  ] as const) {
    const read = byTopic.get(topic) ?? [];
    assert.deepEqual(duplicateKeys(read), [], `${topic} has a key twice`);
    const want = expected.filter((r) => r.type === type) as Row[];
    assert.deepEqual(
      multisetDifferences(
        read.map((r) => JSON.parse(r.value) as Row),
        want,
        1e-9,
      ),
      [],
      topic,
    );
  }
  const bar = byTopic.get('market-bars')?.[0];
  const value = JSON.parse(bar?.value ?? '{}') as Record<string, unknown>;
  assert.equal(bar?.key, `${String(value.symbol)}|${String(value.interval)}|${String(value.window_start)}`, 'bar key as SPEC §4');
  const dlq = byTopic.get('market-data-dlq') ?? [];
  assert.equal(dlq.length, rejected);
  assert.ok(
    dlq.every((r) => /reason=/.test(r.headers)),
    'dead letters carry their reason in a header',
  );
}

describe('Kafka mirror', () => {
  it('holds every final record once per key after the broker was away mid-run, without stalling WebSocket delivery', async () => {
    await broker.createTopics(TOPICS.map((topic) => ({ topic, numPartitions: 3 })));
    const { file, expected, stats } = feed('outage', 31, 1_704_205_800_000);
    const server = await startServer([
      '--source',
      `file:${file}`,
      '--speed',
      '12',
      '--idle-close-ms',
      '0',
      '--db',
      join(dir, 'outage.db'),
      '--kafka-brokers',
      broker.brokers,
    ]);
    try {
      const watcher = await TestClient.connect(`${server.ws}/ws`);
      watcher.send({ op: 'subscribe', channels: ['bars.1s.*'] });
      await watcher.reply('subscribed');
      await until(async () => (await metric(server, 'tickflow_mirror_sent_total')) > 0, 'the mirror to send');
      await broker.halt();
      const finalsBefore = watcher.data().filter((f) => f.data.final === true).length;
      await until(async () => (await metric(server, 'tickflow_outbox_depth')) > 20, 'results to wait in the outbox');
      await until(
        () => watcher.data().filter((f) => f.data.final === true).length > finalsBefore + 20,
        'WebSocket delivery while Kafka is away',
      );
      await until(async () => (await metric(server, 'tickflow_mirror_connected')) === 0, 'the mirror to notice');
      assert.ok(server.logs.some((l) => l.includes('kafka mirror cannot reach the brokers')));
      await broker.restart();
      await until(() => server.logs.some((l) => l.includes('file source finished')), 'the end of the file');
      await until(
        async () => (await metric(server, 'tickflow_outbox_depth')) === 0 && (await metric(server, 'tickflow_mirror_connected')) === 1,
        'the outbox to drain',
      );
      assert.ok((await metric(server, 'tickflow_mirror_lag_seconds')) < 5);
      await watcher.close();
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assertTopicsHold(expected, stats.rejected ?? 0);
  });

  it('holds every final record once per key after the engine is killed with SIGKILL mid-stream and restarted', async () => {
    const { file, expected } = feed('crash', 32, 1_706_000_000_000);
    const db = join(dir, 'crash.db');
    const args = [
      '--source',
      `file:${file}`,
      '--idle-close-ms',
      '0',
      '--checkpoint-ms',
      '300',
      '--db',
      db,
      '--kafka-brokers',
      broker.brokers,
    ];
    const first = await startServer([...args, '--speed', '15']);
    await until(async () => (await metric(first, 'tickflow_mirror_sent_total')) > 100, 'the mirror to send').catch((err: Error) => {
      throw new Error(`${err.message}\n${first.logs.slice(-5).join('\n')}`);
    });
    first.process.kill('SIGKILL');
    await first.stop();
    const second = await startServer([...args, '--speed', 'max']);
    try {
      await until(() => second.logs.some((l) => l.includes('file source finished')), 'the end of the file');
      assert.ok(second.logs.some((l) => l.includes('restored from checkpoint')));
      await until(
        async () => (await metric(second, 'tickflow_outbox_depth')) === 0 && (await metric(second, 'tickflow_mirror_connected')) === 1,
        'the outbox to drain',
      );
    } finally {
      assert.equal(await second.stop(), 0);
    }
    // The topics also hold the first test's feed, which is months earlier in event time.
    const mine = (r: Record<string, unknown>): boolean => Number(r.window_start ?? r.timestamp) > 1_705_000_000_000;
    for (const [topic, type] of [
      ['market-bars', 'bar'],
      ['market-indicators', 'indicator'],
      ['anomaly-alerts', 'alert'],
    ] as const) {
      const read = kcatRead(broker.brokers, topic).filter((r) => mine(JSON.parse(r.value) as Record<string, unknown>));
      assert.deepEqual(duplicateKeys(read), [], `${topic} has a key twice`);
      const want = expected.filter((r) => r.type === type) as Row[];
      assert.deepEqual(
        multisetDifferences(
          read.map((r) => JSON.parse(r.value) as Row),
          want,
          1e-9,
        ),
        [],
        topic,
      );
    }
  });
});
