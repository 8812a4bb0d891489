// /ingest end to end: a real server, a real WebSocket client (the `ws`
// package), a generated file published as NDJSON frames. Subscribers must
// get every final bar, indicator and alert exactly once and equal to
// `tickflow replay` of the same file, whether the engine runs inline or on
// worker threads; the publisher gets an error frame for every dead-lettered
// tick.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { records, tickflow } from '../fixtures/cli';
import { Publisher, T0 } from '../fixtures/publisher';
import { metric, startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-ingest-'));
const feed = join(dir, 'feed.ndjson');
let server: RunningServer;
let workers: RunningServer;

before(async () => {
  const gen = tickflow([
    'gen',
    '--symbols',
    '12',
    '--rate',
    '400',
    '--duration',
    '150s',
    '--seed',
    '3',
    '--anomaly-rate',
    '0.004',
    '--duplicate-rate',
    '0.003',
    '--late-rate',
    '0.003',
    '--invalid-rate',
    '0.003',
    '--out',
    feed,
  ]);
  assert.equal(gen.status, 0, gen.stderr);
  server = await startServer(['--source', 'none', '--idle-close-ms', '0', '--partitions', '0', '--db', join(dir, 'store.db')]);
  workers = await startServer(['--source', 'none', '--idle-close-ms', '0', '--partitions', '2', '--db', join(dir, 'workers.db')]);
});

after(async () => {
  await Promise.all([server?.stop(), workers?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const CHANNELS = ['bars.1s.*', 'bars.1m.*', 'bars.5m.*', 'indicators.*', 'alerts.*'];

async function publish(target: RunningServer, lines: readonly string[], perFrame: number): Promise<TestClient> {
  const publisher = await TestClient.connect(`${target.ws}/ingest`);
  for (let i = 0; i < lines.length; i += perFrame) publisher.send(lines.slice(i, i + perFrame).join('\n'));
  publisher.send({ op: 'flush', id: 'end' });
  await publisher.reply('flushed');
  return publisher;
}

describe('/ingest end to end', () => {
  for (const placement of ['inline', 'partitioned'] as const) {
    it(
      `delivers every final record of a published file exactly once, equal to tickflow replay, and an error frame per ` +
        `dead-lettered tick (${placement})`,
      async () => {
        await deliversLikeReplay(placement === 'inline' ? server : workers, placement);
      },
    );
  }

  async function deliversLikeReplay(target: RunningServer, placement: string): Promise<void> {
    const health = (await (await fetch(`${target.http}/health`)).json()) as { placement: string };
    assert.equal(health.placement, placement);
    const lines = readFileSync(feed, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const subscriber = await TestClient.connect(`${target.ws}/ws`);
    subscriber.send({ op: 'subscribe', channels: CHANNELS });
    await subscriber.reply('subscribed');

    const publisher = await publish(target, lines, 250);
    const replay = tickflow(['replay', feed]);
    assert.equal(replay.status, 0, replay.stderr);
    const expected = records(replay.stdout);
    const stats = expected.pop() as Record<string, number>;
    const expectedSet = expected.map((r) => JSON.stringify(r)).sort();

    // Final records arrive before the flush reply is sent; allow for the wire.
    const finals = (): Array<Record<string, unknown>> =>
      subscriber
        .data()
        .map((f) => f.data)
        .filter((d) => d.type !== 'bar' || d.final === true);
    await subscriber.until(() => finals().length >= expectedSet.length, `${expectedSet.length} final records`);
    const got = finals()
      .map((d) => JSON.stringify(d))
      .sort();
    assert.equal(new Set(got).size, got.length, 'a final record arrived twice');
    assert.deepEqual(got, expectedSet);

    // Every channel's seqs count up by one, forming updates included.
    const seqs = new Map<string, number>();
    for (const f of subscriber.data()) {
      const last = seqs.get(f.ch);
      if (last !== undefined) assert.equal(f.seq, last + 1, `${f.ch} jumped from ${last} to ${f.seq}`);
      seqs.set(f.ch, f.seq);
    }

    const errors = publisher.json().filter((f) => f.op === 'error');
    const dropped = stats.rejected + stats.duplicate + stats.late;
    assert.equal(errors.length, dropped);
    const reasons = new Set(errors.map((e) => e.reason));
    for (const reason of ['duplicate', 'late', 'unparsable', 'wrong_type', 'missing_field'])
      assert.ok(reasons.has(reason), `no ${reason} error frame`);
    for (const e of errors) {
      assert.equal(e.code, 'rejected');
      assert.ok(
        typeof e.tick === 'number' && e.tick >= 1 && e.tick <= lines.length,
        `error frame without a tick index: ${JSON.stringify(e)}`,
      );
    }
    // The index names the offending line: spot-check a late tick.
    const late = errors.find((e) => e.reason === 'late');
    assert.ok(late !== undefined);
    const line = JSON.parse(lines[(late.tick as number) - 1] as string) as Record<string, unknown>;
    assert.equal(typeof line.timestamp, 'number');
    await subscriber.close();
    await publisher.close();
  }

  it('answers pings and unknown ops on /ingest, and takes several ticks per frame or one', async () => {
    const publisher = await TestClient.connect(`${server.ws}/ingest`);
    publisher.send({ op: 'ping', id: 7 });
    const pong = await publisher.reply('pong');
    assert.equal(pong.id, 7);
    publisher.send({ op: 'dance' });
    const error = await publisher.reply('error');
    assert.equal(error.code, 'bad_request');
    const ts = 1_704_205_800_000;
    publisher.send(
      `{"symbol":"ZZZ","event_type":"TRADE","timestamp":${ts},"price":1,"volume":1}\n` +
        `{"symbol":"ZZZ","event_type":"TRADE","timestamp":${ts + 1},"price":1,"volume":"1"}`,
    );
    const rejected = await publisher.reply(
      'error',
      publisher.frames.indexOf(publisher.frames.find((f) => f.json === error) ?? publisher.frames[0]!) + 1,
    );
    assert.deepEqual([rejected.reason, rejected.field, rejected.tick], ['wrong_type', 'volume', 2]);
    await publisher.close();
  });
});

describe('/ingest input and backpressure', () => {
  it('takes FlatBuffers TickBatch binary frames, numbering ticks across text and binary frames', async () => {
    const fbFile = join(dir, 'feed.fb');
    assert.equal(
      tickflow(['gen', '--symbols', '3', '--count', '300', '--seed', '5', '--invalid-rate', '0.05', '--format', 'fb', '--out', fbFile])
        .status,
      0,
    );
    const bytes = readFileSync(fbFile);
    const publisher = await TestClient.connect(`${server.ws}/ingest`);
    const watcher = await TestClient.connect(`${server.ws}/ws`);
    watcher.send({ op: 'subscribe', channels: ['trades.*', 'quotes.*'] });
    await watcher.reply('subscribed');
    const before = watcher.data().length;
    // The file is a stream of size-prefixed batches: send each batch as one frame.
    let frames = 0;
    for (let at = 0; at < bytes.length; frames++) {
      const size = bytes.readUInt32LE(at);
      publisher.socket.send(bytes.subarray(at + 4, at + 4 + size), { binary: true });
      at += 4 + size;
    }
    publisher.send({ op: 'ping', id: 'done' });
    await publisher.reply('pong');
    const replay = records(
      tickflow(['replay', fbFile, '--format', 'fb', '--dead-letter', join(dir, 'fb-dead.ndjson')]).stdout,
    ).pop() as Record<string, number>;
    await watcher.until(() => watcher.data().length - before >= replay.accepted, `${replay.accepted} accepted ticks`);
    const errors = publisher.json().filter((f) => f.op === 'error');
    assert.equal(errors.length, replay.rejected);
    const dead = records(readFileSync(join(dir, 'fb-dead.ndjson'), 'utf8'));
    assert.deepEqual(
      errors.map((e) => e.tick),
      dead.map((d) => d.line),
      'the same ticks, by index',
    );
    assert.ok(frames >= 1);
    await publisher.close();
    await watcher.close();
  });

  for (const partitions of ['0', '1']) {
    it(`slows publishers down instead of dropping when the rings are full (--partitions ${partitions}), never the event loop`, async () => {
      await backpressure(partitions);
    });
  }

  async function backpressure(partitions: string): Promise<void> {
    const tiny = await startServer([
      '--source',
      'none',
      '--idle-close-ms',
      '0',
      '--ring-kib',
      '4',
      '--partitions',
      partitions,
      '--db',
      join(dir, `tiny-${partitions}.db`),
    ]);
    try {
      const watcher = await TestClient.connect(`${tiny.ws}/ws`);
      watcher.send({ op: 'subscribe', channels: ['trades.*'] });
      await watcher.reply('subscribed');
      const publisher = await Publisher.connect(tiny.ws);
      const total = 20_000;
      for (let i = 0; i < total; i += 2000) {
        await publisher.send(Array.from({ length: 2000 }, (_, k) => ({ symbol: `B${(i + k) % 3}`, ts: T0 + i + k, price: 10, volume: 1 })));
      }
      await watcher.until(() => watcher.data().length === total, `all ${total} trades`);
      const metrics = await (await fetch(`${tiny.http}/metrics`)).text();
      if (partitions === '0') {
        // Inline, a full ring is emptied by running its partition on the spot.
        const waits = Number(/tickflow_ingest_backpressure_waits_total (\d+)/.exec(metrics)?.[1]);
        assert.ok(waits > 0, 'the rings never filled: the test did not exercise backpressure');
      } else {
        // With a worker, the publisher is held (never the event loop) and told so.
        const holds = Number(/tickflow_publisher_slow_downs_total (\d+)/.exec(metrics)?.[1]);
        assert.ok(holds > 0, 'the ring never filled: the test did not exercise backpressure');
        const notices = publisher.client
          .json()
          .map((f) => f.op)
          .filter((op) => op === 'slow_down' || op === 'go_ahead');
        assert.equal(notices.length, 2 * holds, 'every slow_down followed by a go_ahead');
        assert.deepEqual(notices.slice(0, 2), ['slow_down', 'go_ahead']);
        assert.match(metrics, /tickflow_publishers_held 0/);
      }
      assert.match(metrics, /tickflow_ticks_accepted_total 20000/);
      await publisher.close();
      await watcher.close();
    } finally {
      await tiny.stop();
    }
  }

  it('rejects ticks over --ingest-rate-limit as rate_limited', async () => {
    const limited = await startServer(['--source', 'none', '--ingest-rate-limit', '10', '--db', join(dir, 'limited.db')]);
    try {
      const publisher = await Publisher.connect(limited.ws);
      await publisher.send(Array.from({ length: 50 }, (_, i) => ({ symbol: 'RL', ts: T0 + i, price: 1 })));
      const reasons = publisher.client
        .json()
        .filter((f) => f.op === 'error')
        .map((f) => f.reason);
      assert.ok(
        reasons.length >= 30 && reasons.every((r) => r === 'rate_limited'),
        `${reasons.length} rejections: ${[...new Set(reasons)].join(',')}`,
      );
      await publisher.close();
    } finally {
      await limited.stop();
    }
  });

  it('stores and answers at most --ingest-reject-limit dead letters a second one by one, counts the rest and sums them up', async () => {
    const db = join(dir, 'rejects.db');
    const junk = await startServer(['--source', 'none', '--ingest-reject-limit', '20', '--db', db]);
    let answered: Array<Record<string, unknown>>;
    let summaries: Array<Record<string, unknown>>;
    try {
      const publisher = await Publisher.connect(junk.ws);
      publisher.client.send(Array.from({ length: 500 }, (_, i) => `not json ${i}`).join('\n'));
      const unstored = (): number =>
        publisher.client
          .json()
          .filter((f) => f.op === 'error' && f.unstored !== undefined)
          .reduce((sum, f) => sum + Number(f.unstored), 0);
      const errors = (): Array<Record<string, unknown>> => publisher.client.json().filter((f) => f.op === 'error');
      await publisher.client.until(() => errors().filter((f) => f.unstored === undefined).length + unstored() === 500, '500 rejections');
      answered = errors().filter((f) => f.unstored === undefined);
      summaries = errors().filter((f) => f.unstored !== undefined);
      assert.ok(answered.length >= 20, `${answered.length} answered one by one`);
      assert.deepEqual(
        answered.slice(0, 20).map((f) => [f.reason, f.tick]),
        Array.from({ length: 20 }, (_, i) => ['unparsable', i + 1]),
      );
      assert.ok(summaries.length >= 1);
      for (const summary of summaries) {
        assert.deepEqual(summary.reasons, { unparsable: summary.unstored });
        assert.match(String(summary.message), /more ticks of this publisher were dead-lettered within one second \(unparsable \d+\)/);
      }
      assert.equal(await metric(junk, 'tickflow_dead_letters_total{reason="unparsable"}'), 500);
      assert.equal(await metric(junk, 'tickflow_dead_letters_unstored_total'), unstored());
      await publisher.close();
    } finally {
      await junk.stop();
    }
    const store = new Database(db, { readonly: true });
    try {
      const rows = store.prepare('SELECT reason, message FROM dead_letters ORDER BY id').all() as Array<{
        reason: string;
        message: string;
      }>;
      assert.equal(rows.length, answered.length + summaries.length);
      assert.ok(rows.every((r) => r.reason === 'unparsable'));
      assert.equal(rows.filter((r) => r.message.includes('counted, but not stored')).length, summaries.length);
    } finally {
      store.close();
    }
  });
});
