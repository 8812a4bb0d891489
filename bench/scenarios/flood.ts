// flood: what one publisher flooding a symbol does to everyone else on the
// same server. A flooder (flood-thread.ts, its own thread) sends frames of
// 10,000 trades of one symbol as fast as flow control lets it; on this
// thread a bystander, a second publisher with a subscriber on another
// symbol's trades, loops: GET /health (timed), send one trade, wait until
// its subscriber has it (timed: publish to receive), pause 5 ms. Both go
// into HDR histograms in two phases of each run: quiet (the flooder
// connected, not sending), then during the flood, until every flood trade
// was delivered. Two placements, on a fresh `tickflow serve --source none`
// each, interleaved over --runs: the default one and --partitions 2 (the
// bystander's symbol then in the other partition than the flood's).

import { get, Agent } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { partitionOf } from '../../src/partition/partition-of';
import { newHistogram, summarize, type Histogram } from '../hdr';
import { median } from '../machine';
import { startEngine } from '../load/engine-process';
import { asciiFrame, FrameReader, OPCODE_CLOSE, OPCODE_TEXT, upgrade } from '../load/raw-websocket';
import { seqOf } from '../load/ticks';
import { ScenarioRecorder } from '../results';
import type { FloodInit, FloodReport, FromFlooder, ToFlooder } from './flood-thread';

export interface FloodOptions {
  /** Frames of TICKS_PER_FRAME trades the flooder sends in each run. */
  readonly frames: number;
  /** Length of the quiet phase, after a warm-up second that is not timed. */
  readonly quietSeconds: number;
  /** Rounds over the two placements, interleaved. */
  readonly runs: number;
}

const TICKS_PER_FRAME = 10_000;
/** tickflow's default --max-frame-kib: a flood frame must stay under it. */
const FRAME_LIMIT = 1024 * 1024;
const PAUSE_MS = 5;
const WARMUP_MS = 1000;
/** A bystander trade not delivered within this is a failure, not a latency. */
const TRADE_TIMEOUT_MS = 30_000;
const FLOOD_SYMBOL = 'FLOOD';
const PLACEMENTS: ReadonlyArray<{ readonly label: string; readonly args: readonly string[] }> = [
  { label: 'default', args: [] },
  { label: '2 partitions', args: ['--partitions', '2'] },
];

/** A placement's name in the results; the default one says what it resolved to on this machine. */
const labelOf = (placement: (typeof PLACEMENTS)[number], resolved: string): string =>
  placement.args.length === 0 ? `${placement.label} (${resolved})` : placement.label;

/** The bystander's symbol: with two partitions, in the one the flood's symbol is not in. */
function bystanderSymbol(): string {
  for (let i = 0; ; i++) if (partitionOf(`OTHER${i}`, 2) !== partitionOf(FLOOD_SYMBOL, 2)) return `OTHER${i}`;
}

/** The other publisher, its subscriber and a /health client, all on this thread: what the flood should leave alone. */
class Bystander {
  private seq = 0;
  private awaited = -1;
  private onArrival: ((at: bigint) => void) | null = null;
  /** Text frames on the bystander's /ingest (dead letters; none expected), and the first of them. */
  private replies = 0;
  private firstReply = '';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private subscriber: Socket | null = null;
  private publisher: Socket | null = null;
  private readonly head: string;

  constructor(
    private readonly port: number,
    private readonly symbol: string,
  ) {
    this.head = `{"symbol":"${symbol}","event_type":"TRADE","timestamp":`;
  }

  async connect(): Promise<void> {
    const url = `ws://127.0.0.1:${this.port}`;
    let subscribed: () => void = () => undefined;
    const reply = new Promise<void>((resolve) => (subscribed = resolve));
    let arrival = 0n;
    const frames = new FrameReader((opcode, bytes, start, end) => {
      if (opcode !== OPCODE_TEXT) return;
      const seq = seqOf(bytes, start, end);
      if (seq < 0) subscribed();
      else if (seq === this.awaited) this.onArrival?.(arrival);
    });
    this.subscriber = await upgrade(new URL('/ws', url), (chunk) => {
      // One reading per chunk: its frames arrived together.
      arrival = process.hrtime.bigint();
      frames.feed(chunk);
    });
    this.subscriber.write(asciiFrame(JSON.stringify({ op: 'subscribe', channels: [`trades.${this.symbol}`] })));
    await reply;
    const replies = new FrameReader((opcode, bytes, start, end) => {
      if (opcode !== OPCODE_TEXT && opcode !== OPCODE_CLOSE) return;
      if (this.replies++ === 0)
        this.firstReply = bytes.toString(opcode === OPCODE_TEXT ? 'utf8' : 'latin1', start, Math.min(end, start + 300));
    });
    this.publisher = await upgrade(new URL('/ingest', url), (chunk) => replies.feed(chunk));
  }

  /** One GET /health on a kept-alive connection, request to the end of the answer, in ns. */
  health(): Promise<number> {
    const start = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port: this.port, path: '/health', agent: this.agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(Number(process.hrtime.bigint() - start)));
      }).once('error', reject);
    });
  }

  /** One trade, from its frame handed to the socket to its arrival at the subscriber, in ns. */
  async trade(): Promise<number> {
    const seq = this.seq++;
    const frame = asciiFrame(`${this.head}${Date.now()},"price":100.5,"volume":100,"exchange":"XNAS","seq":${seq}}`);
    const arrived = new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        const reply = this.replies > 0 ? `; the server said: ${this.firstReply}` : '';
        reject(new Error(`trade ${seq} of ${this.symbol} was not delivered within ${TRADE_TIMEOUT_MS / 1000} s${reply}`));
      }, TRADE_TIMEOUT_MS);
      this.onArrival = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
    this.awaited = seq;
    const sent = process.hrtime.bigint();
    this.publisher?.write(frame);
    return Number((await arrived) - sent);
  }

  get deadLetters(): number {
    return this.replies;
  }

  close(): void {
    this.subscriber?.destroy();
    this.publisher?.destroy();
    this.agent.destroy();
  }
}

interface Phase {
  readonly trade: Histogram;
  readonly health: Histogram;
}

const newPhase = (): Phase => ({ trade: newHistogram(), health: newHistogram() });

/** The measuring loop, while `more()` holds; with `into` null, a warm-up. */
async function measure(bystander: Bystander, into: Phase | null, more: () => boolean): Promise<void> {
  while (more()) {
    const health = await bystander.health();
    const trade = await bystander.trade();
    into?.health.recordValue(Math.max(1, health));
    into?.trade.recordValue(Math.max(1, trade));
    await sleep(PAUSE_MS);
  }
}

interface Session {
  readonly quiet: Phase;
  readonly during: Phase;
  readonly flood: FloodReport;
  /** The engine's CPU over the flood phase, percent of one core, every thread. */
  readonly cpuPercent: number;
  /** This process's over the same time (the flooder's thread and the bystander's), which the engine shares the cores with. */
  readonly loadCpuPercent: number;
  /** The placement the server reports on /health: inline, or N partitions. */
  readonly placement: string;
  /** The server's own counts of closes (4009 for a publisher, 4008 for a subscriber) and the bystander's dead letters. */
  readonly serverQueueCloses: number;
  readonly serverSlowConsumerCloses: number;
  readonly bystanderDeadLetters: number;
  readonly frameBytes: number;
}

function counter(metrics: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
}

/** A flooder's next message, or a rejection when the thread fails first. */
function next<T extends FromFlooder['type']>(worker: Worker, type: T): Promise<Extract<FromFlooder, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`flooder: ${err.message}`));
    worker.once('error', onError);
    worker.once('message', (message: FromFlooder) => {
      worker.off('error', onError);
      if (message.type === type) resolve(message as Extract<FromFlooder, { type: T }>);
      else reject(new Error(`flooder: expected ${type}, got ${message.type}`));
    });
  });
}

async function session(args: readonly string[], options: FloodOptions, symbol: string): Promise<Session> {
  const engine = await startEngine('tickflow', args);
  const bystander = new Bystander(engine.port, symbol);
  const init: FloodInit = {
    url: `ws://127.0.0.1:${engine.port}`,
    symbol: FLOOD_SYMBOL,
    frames: options.frames,
    ticksPerFrame: TICKS_PER_FRAME,
  };
  const flooder = new Worker(join(__dirname, 'flood-thread.js'), { workerData: init });
  try {
    const health = (await (await fetch(`http://127.0.0.1:${engine.port}/health`)).json()) as { placement: string; partitions: number };
    await bystander.connect();
    const { frameBytes } = await next(flooder, 'ready');
    if (frameBytes >= FRAME_LIMIT) throw new Error(`a flood frame of ${frameBytes} bytes is over the server's ${FRAME_LIMIT}-byte limit`);

    const warmupEnd = Date.now() + WARMUP_MS;
    await measure(bystander, null, () => Date.now() < warmupEnd);
    const quiet = newPhase();
    const quietEnd = Date.now() + options.quietSeconds * 1000;
    await measure(bystander, quiet, () => Date.now() < quietEnd);

    const during = newPhase();
    let flooding = true;
    const report = next(flooder, 'report').finally(() => (flooding = false));
    const cpuBefore = engine.cpuSeconds();
    const loadBefore = process.cpuUsage();
    const wall = process.hrtime.bigint();
    flooder.postMessage({ type: 'go' } satisfies ToFlooder);
    await measure(bystander, during, () => flooding);
    const { report: flood } = await report;
    const seconds = Number(process.hrtime.bigint() - wall) / 1e9;
    const load = process.cpuUsage(loadBefore);
    const cpuPercent = ((engine.cpuSeconds() - cpuBefore) / seconds) * 100;
    const loadCpuPercent = ((load.user + load.system) / 1e6 / seconds) * 100;
    const metrics = await (await fetch(`http://127.0.0.1:${engine.port}/metrics`)).text();
    return {
      placement: health.placement === 'inline' ? 'inline' : `${health.partitions} partitions`,
      quiet,
      during,
      flood,
      cpuPercent,
      loadCpuPercent,
      serverQueueCloses: counter(metrics, 'tickflow_publisher_queue_closes_total'),
      serverSlowConsumerCloses: counter(metrics, 'tickflow_slow_consumer_closes_total'),
      bystanderDeadLetters: bystander.deadLetters,
      frameBytes,
    };
  } finally {
    bystander.close();
    await flooder.terminate();
    await engine.stop();
  }
}

const p50 = (histogram: Histogram): number => summarize(histogram).p50_us;
const ratio = (during: Histogram, quiet: Histogram): number => Number((p50(during) / p50(quiet)).toFixed(2));

export async function floodScenario(options: FloodOptions): Promise<void> {
  const symbol = bystanderSymbol();
  const sessions: Session[][] = PLACEMENTS.map(() => []);
  let frameBytes = 0;
  for (let run = 1; run <= options.runs; run++)
    for (const [i, placement] of PLACEMENTS.entries()) {
      const s = await session(placement.args, options, symbol);
      frameBytes = s.frameBytes;
      sessions[i]?.push(s);
      const f = s.flood;
      console.log(
        `${labelOf(placement, s.placement)} run ${run}: flood ${Math.round(f.delivered / f.seconds).toLocaleString('en-US')} ticks/s, ` +
          `${f.delivered}/${f.sent} delivered; trade p50 ${p50(s.quiet.trade)} µs quiet, ${p50(s.during.trade)} µs during; ` +
          `/health p50 ${p50(s.quiet.health)} µs quiet, ${p50(s.during.health)} µs during`,
      );
    }

  const rec = new ScenarioRecorder('flood', {
    ticks_per_frame: TICKS_PER_FRAME,
    frame_bytes: frameBytes,
    frames: options.frames,
    quiet_seconds: options.quietSeconds,
    pause_ms: PAUSE_MS,
    runs: options.runs,
    flood_symbol: FLOOD_SYMBOL,
    bystander_symbol: symbol,
  });
  for (const [i, placement] of PLACEMENTS.entries()) {
    const runs = sessions[i] ?? [];
    const label = labelOf(placement, runs[0]?.placement ?? '?');
    const merged = { quiet: newPhase(), during: newPhase() };
    for (const s of runs)
      for (const phase of ['quiet', 'during'] as const) {
        merged[phase].trade.add(s[phase].trade);
        merged[phase].health.add(s[phase].health);
      }
    const settings = { engine_args: placement.args.join(' ') };
    const tradeRatio = ratio(merged.during.trade, merged.quiet.trade);
    const healthRatio = ratio(merged.during.health, merged.quiet.health);
    rec.add({ name: `${label} trade, quiet`, settings }, merged.quiet.trade);
    rec.add({ name: `${label} trade, during flood`, settings, extra: { p50_over_quiet: tradeRatio } }, merged.during.trade);
    rec.add({ name: `${label} /health, quiet`, settings }, merged.quiet.health);
    rec.add({ name: `${label} /health, during flood`, settings, extra: { p50_over_quiet: healthRatio } }, merged.during.health);
    runs.forEach((s, k) => {
      const f = s.flood;
      rec.add({
        name: `${label} flood, run ${k + 1}`,
        settings,
        throughput: f.delivered / f.seconds,
        unit: 'flood ticks/s',
        cpu_percent: s.cpuPercent,
        extra: {
          load_generator_cpu_percent: Math.round(s.loadCpuPercent),
          sent: f.sent,
          delivered: f.delivered,
          all_delivered: f.delivered === f.sent,
          slow_down: f.slowDowns,
          go_ahead: f.goAheads,
          closes_4009: s.serverQueueCloses,
          closes_4008: s.serverSlowConsumerCloses,
          flooder_close: f.closeCode,
          dead_letters: f.errors + s.bystanderDeadLetters,
        },
      });
    });
    const byRun = (of: (s: Session) => number): string => runs.map((s) => `×${of(s)}`).join(', ');
    const tradeRuns = byRun((s) => ratio(s.during.trade, s.quiet.trade));
    const healthRuns = byRun((s) => ratio(s.during.health, s.quiet.health));
    const ticksPerSecond = Math.round(median(runs.map((s) => s.flood.delivered / s.flood.seconds))).toLocaleString('en-US');
    const complete = runs.filter((s) => s.flood.delivered === s.flood.sent).length;
    rec.note(
      `${label}: the bystander's trade p50 ${p50(merged.quiet.trade)} µs quiet, ${p50(merged.during.trade)} µs during the flood ` +
        `(×${tradeRatio}; by run ${tradeRuns}); /health p50 ${p50(merged.quiet.health)} µs quiet, ` +
        `${p50(merged.during.health)} µs during (×${healthRatio}; by run ${healthRuns}); ` +
        `flood median ${ticksPerSecond} ticks/s, every tick delivered in ${complete} of ${runs.length} runs`,
    );
  }
  rec.write();
}
