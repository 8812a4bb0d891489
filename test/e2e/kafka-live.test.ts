// Every engine of a Kafka consumer group serves every symbol: two engines
// share market-data-raw, and a subscriber of each, on trades.*, quotes.* and
// bars.1s.*, gets the trades, quotes and forming bars of the other engine's
// symbols through the live topic as well as its own engine's, each trade once,
// with seqs of its own engine's channels; the final bars, read back from the
// result topics, are the same records on both.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KafkaPort, ProducerPort } from '../../src/kafka/kafka-port';
import { createKafkaPort } from '../../src/kafka/kafkajs-port';
import { startTestBroker, type TestBroker } from '../fixtures/kafka-broker';
import { metric, startServer, type RunningServer } from '../fixtures/server-process';
import { until } from '../fixtures/until';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-kafka-live-'));
const SYMBOLS = Array.from({ length: 24 }, (_, i) => `LV${String(i).padStart(2, '0')}`);
/** Rounds of the measured phase: every 100 ms one trade and one quote of each symbol. */
const ROUNDS = 40;
/**
 * Idle closing well above the time a batch may wait behind a checkpoint's
 * transactions (hundreds of ms on a busy machine): a symbol whose next ticks
 * wait in Kafka longer than --idle-close-ms is closed, and they come late.
 */
const ARGS = ['--intervals', '1s', '--lateness-ms', '200', '--idle-close-ms', '3000', '--bar-update-ms', '100', '--checkpoint-ms', '500'];

let broker: TestBroker | undefined;
let port: KafkaPort | undefined;
const engines: RunningServer[] = [];
const clients: TestClient[] = [];

before(async () => {
  broker = await startTestBroker();
  await broker.createTopics([{ topic: 'market-data-raw', numPartitions: 4 }]);
});

after(async () => {
  for (const client of clients) await client.close();
  await Promise.all(engines.map((e) => e.stop()));
  await port?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Data {
  ch: string;
  seq: number;
  data: Record<string, unknown>;
}

/** Next exchange seq per symbol: a trade's identity is (symbol, seq). */
const seqs = new Map<string, number>(SYMBOLS.map((s) => [s, 0]));
/** The timestamp of the last round published. */
let lastStamp = 0;

/** One round: a trade and a quote of every symbol, stamped now; returns the trades' keys. */
async function round(producer: ProducerPort): Promise<string[]> {
  const now = Date.now();
  lastStamp = now;
  const trades: string[] = [];
  const records = SYMBOLS.flatMap((symbol, i) => {
    const price = 100 + i + (now % 1000) / 1000;
    const tradeSeq = (seqs.get(symbol) ?? 0) + 1;
    seqs.set(symbol, tradeSeq + 1);
    trades.push(`${symbol}|${tradeSeq}`);
    const trade = { symbol, event_type: 'TRADE', timestamp: now, price, volume: 100, exchange: 'XNAS', seq: tradeSeq };
    const quote = {
      symbol,
      event_type: 'QUOTE',
      timestamp: now + 1,
      bid: price - 0.01,
      ask: price + 0.01,
      exchange: 'XNAS',
      seq: tradeSeq + 1,
    };
    return [trade, quote].map((tick) => ({ topic: 'market-data-raw', key: symbol, value: JSON.stringify(tick) }));
  });
  await producer.send(records);
  return trades;
}

const symbolsOf = (frames: readonly Data[]): Set<string> => new Set(frames.map((f) => f.data.symbol as string));

/** Seqs of each channel follow each other from the channel's first message. */
function gapsAndRepeats(frames: readonly Data[]): string[] {
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const f of frames) {
    const before = last.get(f.ch);
    if (before !== undefined && f.seq !== before + 1) problems.push(`${f.ch}: ${before} then ${f.seq}`);
    last.set(f.ch, f.seq);
  }
  return problems;
}

describe('live data across engines', () => {
  it(
    "a subscriber of either engine gets every symbol's trades, quotes and forming bars once, and the same final bars",
    { timeout: 240_000 },
    async () => {
      const b = broker as TestBroker;
      const start = (name: string): Promise<RunningServer> =>
        startServer(['--source', 'kafka', '--kafka-brokers', b.brokers, '--db', join(dir, `${name}.db`), ...ARGS]);
      engines.push(await start('a'));
      engines.push(await start('b'));
      const [a, bb] = engines as [RunningServer, RunningServer];
      await until(async () => {
        const owned = [await metric(a, 'tickflow_kafka_partitions_owned'), await metric(bb, 'tickflow_kafka_partitions_owned')];
        return owned[0] >= 1 && owned[1] >= 1 && owned[0] + owned[1] === 4;
      }, 'the two engines to share the four input partitions');
      await until(
        () => engines.every((e) => e.logs.some((l) => l.includes('following the live data of the other engines'))),
        'both engines to follow the live topic',
      );
      for (const engine of engines) {
        const client = await TestClient.connect(`${engine.ws}/ws`);
        clients.push(client);
        client.send({ op: 'subscribe', channels: ['trades.*', 'quotes.*', 'bars.1s.*'] });
        await client.reply('subscribed');
      }

      port = createKafkaPort({ brokers: [b.brokers], clientId: 'test-live-publisher' });
      const producer = await port.producer();
      // Warm-up: until each subscriber has a trade of every symbol, both
      // directions of the live feed run (a consumer joining its group reads
      // from the end as of its first fetch).
      for (let i = 0; i < 200 && !clients.every((c) => symbolsOf(c.data().filter((f) => f.ch.startsWith('trades.'))).size === 24); i++) {
        await round(producer);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const measured = new Set<string>();
      for (let i = 0; i < ROUNDS; i++) {
        for (const key of await round(producer)) measured.add(key);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const tradesOf = (c: TestClient): string[] =>
        c
          .data()
          .filter((f) => f.ch.startsWith('trades.'))
          .map((f) => `${f.data.symbol as string}|${f.data.seq as number}`)
          .filter((key) => measured.has(key));
      for (const [i, client] of clients.entries()) {
        await client.until(() => tradesOf(client).length >= measured.size, `engine ${i}'s subscriber to get every measured trade`, 60_000);
      }
      // The last windows close after --idle-close-ms of quiet, then commit.
      const lastWindow = Math.floor(lastStamp / 1000) * 1000;
      const finals = (c: TestClient): Data[] => c.data().filter((f) => f.ch.startsWith('bars.') && f.data.final === true);
      for (const [i, client] of clients.entries()) {
        await client.until(
          () => SYMBOLS.every((s) => finals(client).some((f) => f.data.symbol === s && (f.data.window_start as number) >= lastWindow)),
          `engine ${i}'s subscriber to get the last final bars`,
          60_000,
        );
      }

      const [fromA, fromB] = clients as [TestClient, TestClient];
      for (const [name, client] of [
        ['a', fromA],
        ['b', fromB],
      ] as const) {
        const trades = tradesOf(client);
        assert.equal(trades.length, measured.size, `engine ${name}: each measured trade once`);
        assert.deepEqual(new Set(trades), measured, `engine ${name}: every measured trade`);
        const frames = client.data();
        assert.equal(symbolsOf(frames.filter((f) => f.ch.startsWith('quotes.'))).size, 24, `engine ${name}: quotes of every symbol`);
        const forming = frames.filter((f) => f.ch.startsWith('bars.') && f.data.final === false);
        assert.equal(symbolsOf(forming).size, 24, `engine ${name}: forming bars of every symbol`);
        assert.deepEqual(gapsAndRepeats(frames), [], `engine ${name}: seqs follow each other per channel`);
      }
      const sorted = (c: TestClient): string[] =>
        finals(c)
          .map((f) => JSON.stringify(f.data))
          .sort();
      assert.ok(sorted(fromA).length >= 24 * 4, `${sorted(fromA).length} final bars`);
      assert.deepEqual(sorted(fromA), sorted(fromB), 'the same final bars on both engines');

      // Each engine sent its own symbols and received the other's, and lost nothing.
      for (const engine of engines) {
        assert.ok((await metric(engine, 'tickflow_live_sent_total')) > 0, 'live records sent');
        assert.ok((await metric(engine, 'tickflow_live_received_total')) > 0, 'live records received');
        assert.equal(await metric(engine, 'tickflow_live_dropped_total'), 0, 'no live record dropped');
      }
    },
  );
});
