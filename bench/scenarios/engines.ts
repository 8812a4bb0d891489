// engines: what a trade costs in latency when its subscriber is connected to
// another engine of the Kafka group than the one that owns its symbol.
//
// One Kafka broker (KRaft, Kafka's jars fetched by Maven, as for the tests),
// market-data-raw with 4 partitions, two `tickflow serve --source kafka`
// engines in one group, and one `ws` subscriber on trades.* at each, all on
// this machine. A publisher writes trades of 40 symbols to market-data-raw,
// open loop. Every trade reaches both subscribers: first from the engine
// that owns its symbol (the baseline, measured in the same run: Kafka in,
// engine, WebSocket out), then from the other engine (the same, then the
// tickflow-live topic and the other engine's hub). Both arrivals are timed on
// this process's clock, so the extra latency, the later arrival minus the
// earlier, needs no clock shared between processes. One phase per rate,
// rates interleaved over --runs rounds.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { KafkaRecord } from '../../src/kafka/kafka-port';
import { createKafkaPort } from '../../src/kafka/kafkajs-port';
import { newHistogram, summarize, type Histogram } from '../hdr';
import { processCpuSeconds, startEngine, type EngineProcess } from '../load/engine-process';
import { symbolName } from '../load/ticks';
import { ScenarioRecorder } from '../results';

export interface EnginesOptions {
  /** Trades per second offered, one phase each. */
  readonly rates: readonly number[];
  readonly seconds: number;
  /** Rounds over the rates, interleaved, one series per rate and round. */
  readonly runs: number;
}

const ROOT = join(__dirname, '..', '..', '..');
const SYMBOLS = 40;
/** Warm-up rate: until both subscribers have every symbol, and at least this long. */
const WARMUP_RATE = 200;
const WARMUP_MS = 3000;

/** The part of scripts/kafka/broker.js used here (plain JavaScript, loaded at run time). */
interface BrokerScript {
  ensureKafkaLibs(options?: { quiet?: boolean }): string;
  freePorts(count: number): Promise<number[]>;
  startBroker(options: { dataDir: string; port: number; controllerPort: number; logFile: string }): Promise<{
    readonly brokers: string;
    readonly exited: Promise<unknown>;
    stop(): Promise<void>;
  }>;
  waitForBroker(brokers: string, timeoutMs: number, exited?: Promise<unknown>): Promise<void>;
  createTopics(brokers: string, topics: Array<{ topic: string; numPartitions: number }>): Promise<void>;
}

const script = require(join(ROOT, 'scripts', 'kafka', 'broker.js')) as BrokerScript;

/** Arrival times (hrtime ns) of each trade, by seq: when it was sent, and at each subscriber. */
class Arrivals {
  readonly sent = new Map<number, bigint>();
  readonly at: Array<Map<number, bigint>> = [new Map(), new Map()];
  readonly symbols: Array<Set<string>> = [new Set(), new Set()];

  listen(socket: WebSocket, index: number): void {
    const at = this.at[index] as Map<number, bigint>;
    const symbols = this.symbols[index] as Set<string>;
    socket.on('message', (raw: Buffer) => {
      const now = process.hrtime.bigint();
      const frame = JSON.parse(raw.toString('utf8')) as { ch?: string; data?: { symbol: string; seq: number } };
      if (frame.ch === undefined || frame.data === undefined) return;
      at.set(frame.data.seq, now);
      symbols.add(frame.data.symbol);
    });
  }

  delivered(seq: number): boolean {
    return this.at.every((m) => m.has(seq));
  }
}

async function subscriber(engine: EngineProcess): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/ws`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ op: 'subscribe', channels: ['trades.*'] }));
  await new Promise<void>((resolve) => {
    const onReply = (raw: Buffer): void => {
      if ((JSON.parse(raw.toString('utf8')) as { op?: string }).op !== 'subscribed') return;
      socket.off('message', onReply);
      resolve();
    };
    socket.on('message', onReply);
  });
  return socket;
}

/** Keeps an engine's last 40 log lines, for the error when a run fails. */
function keepLogTail(engine: EngineProcess, tail: string[]): void {
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '' && !line.includes('"configuration"')) tail.push(line);
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  engine.child.stdout?.on('data', keep);
  engine.child.stderr?.on('data', keep);
}

async function owned(engine: EngineProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${engine.port}/metrics`)).text();
  return Number(/^tickflow_kafka_partitions_owned (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** Publishes `count` trades from `firstSeq` at `rate` per second, open loop: each batch takes every trade due by then. */
async function publish(
  send: (records: KafkaRecord[]) => Promise<void>,
  arrivals: Arrivals,
  firstSeq: number,
  count: number,
  rate: number,
): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    if (due <= i) {
      await sleep(1);
      continue;
    }
    const batch: KafkaRecord[] = [];
    const now = Date.now();
    for (; i < due; i++) {
      const seq = firstSeq + i;
      const symbol = symbolName(seq % SYMBOLS);
      const tick = { symbol, event_type: 'TRADE', timestamp: now, price: 100 + (seq % 100) / 100, volume: 100, exchange: 'XNAS', seq };
      batch.push({ topic: 'market-data-raw', key: symbol, value: JSON.stringify(tick) });
    }
    const sentAt = process.hrtime.bigint();
    for (let k = firstSeq + i - batch.length; k < firstSeq + i; k++) arrivals.sent.set(k, sentAt);
    await send(batch);
  }
}

export async function enginesScenario(options: EnginesOptions): Promise<void> {
  const rec = new ScenarioRecorder('engines', { symbols: SYMBOLS, seconds: options.seconds, input_partitions: 4, engines: 2 });
  script.ensureKafkaLibs({ quiet: false });
  const [port, controllerPort] = await script.freePorts(2);
  if (port === undefined || controllerPort === undefined) throw new Error('no free ports');
  const dataDir = mkdtempSync(join(tmpdir(), 'tickflow-bench-kafka-'));
  const broker = await script.startBroker({ dataDir, port, controllerPort, logFile: join(dataDir, 'broker.log') });
  const engines: EngineProcess[] = [];
  const sockets: WebSocket[] = [];
  const kafka = createKafkaPort({ brokers: [broker.brokers], clientId: 'tickflow-bench-publisher' });
  const tails: string[][] = [];
  try {
    await script.waitForBroker(broker.brokers, 90_000, broker.exited);
    await script.createTopics(broker.brokers, [{ topic: 'market-data-raw', numPartitions: 4 }]);
    for (let i = 0; i < 2; i++) {
      const engine = await startEngine('tickflow', ['--source', 'kafka', '--kafka-brokers', broker.brokers, '--checkpoint-ms', '1000']);
      keepLogTail(engine, (tails[i] = []));
      engines.push(engine);
    }
    const deadline = Date.now() + 60_000;
    while (!(await Promise.all(engines.map(owned))).every((n) => n >= 1)) {
      if (Date.now() > deadline) throw new Error('the two engines did not share the input partitions within 60 s');
      await sleep(200);
    }
    const arrivals = new Arrivals();
    for (const [i, engine] of engines.entries()) {
      const socket = await subscriber(engine);
      arrivals.listen(socket, i);
      sockets.push(socket);
    }
    const producer = await kafka.producer();
    const send = (records: KafkaRecord[]): Promise<void> => producer.send(records);

    // Warm-up, not timed: both engines' live consumers have joined once each
    // subscriber has a trade of every symbol.
    let seq = 0;
    const warmupEnd = Date.now() + 60_000;
    for (const started = Date.now(); Date.now() - started < WARMUP_MS || arrivals.symbols.some((s) => s.size < SYMBOLS);) {
      if (Date.now() > warmupEnd) throw new Error('the subscribers did not get every symbol from both engines within 60 s');
      await publish(send, arrivals, seq, WARMUP_RATE / 5, WARMUP_RATE);
      seq += WARMUP_RATE / 5;
    }

    for (let run = 1; run <= options.runs; run++)
      for (const rate of options.rates) {
        const first = seq;
        const count = rate * options.seconds;
        const cpuBefore = engines.map((e) => processCpuSeconds(e.child.pid as number));
        const wall = performance.now();
        await publish(send, arrivals, first, count, rate);
        const seconds = (performance.now() - wall) / 1000;
        const cpu = engines.map((e, i) => ((processCpuSeconds(e.child.pid as number) - (cpuBefore[i] as number)) / seconds) * 100);
        seq += count;
        for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
          let all = true;
          for (let s = first; s < seq && all; s++) all = arrivals.delivered(s);
          if (all) break;
        }
        const owner: Histogram = newHistogram();
        const other: Histogram = newHistogram();
        const extra: Histogram = newHistogram();
        let both = 0;
        for (let s = first; s < seq; s++) {
          const sent = arrivals.sent.get(s);
          const a = arrivals.at[0]?.get(s);
          const b = arrivals.at[1]?.get(s);
          if (sent === undefined || a === undefined || b === undefined) continue;
          both++;
          const early = a < b ? a : b;
          const late = a < b ? b : a;
          owner.recordValue(Number(early - sent));
          other.recordValue(Number(late - sent));
          extra.recordValue(Math.max(1, Number(late - early)));
        }
        const label = `${rate >= 1000 ? `${rate / 1000}k/s` : `${rate}/s`}${options.runs > 1 ? ` run ${run}` : ''}`;
        const common = { throughput: rate, unit: 'trades/s offered' };
        rec.add(
          {
            name: `owner's subscriber ${label}`,
            settings: { rate, run, path: 'owner' },
            ...common,
            extra: { delivered_to_both: both, sent: count },
          },
          owner,
        );
        rec.add(
          {
            name: `other engine's subscriber ${label}`,
            settings: { rate, run, path: 'other' },
            ...common,
            cpu_percent: cpu.reduce((x, y) => x + y, 0),
            extra: { engine_cpu_percent: cpu.map((c) => Math.round(c)).join(' + ') },
          },
          other,
        );
        rec.add({ name: `extra latency ${label}`, settings: { rate, run, path: 'extra' }, ...common }, extra);
        rec.note(
          `${label}: extra latency of a trade through the other engine, p50 ${summarize(extra).p50_us} µs, p99 ${summarize(extra).p99_us} µs`,
        );
      }
  } catch (err) {
    for (const [i, tail] of tails.entries()) console.error(`engine ${i}, last log lines:\n${tail.join('\n')}`);
    throw err;
  } finally {
    for (const socket of sockets) socket.close();
    await Promise.all(engines.map((e) => e.stop()));
    await kafka.close().catch(() => undefined);
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  rec.write();
}
