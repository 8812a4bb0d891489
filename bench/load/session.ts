// One measured session of the live-type scenarios: an engine process, a
// subscriber process and (optionally) a publisher process, started in that
// order, synchronised on a common start instant, then torn down. Returns
// the merged latency histograms, the counts and the engine's CPU and memory.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { decodeHistogram, type Histogram } from '../hdr';
import { processCpuSeconds, startEngine, type EngineKind } from './engine-process';
import type { PublisherPlan } from './publisher';
import type { SubscriberPlan, SubscriberReport } from './subscribers';

export interface SessionPlan {
  readonly engine: EngineKind;
  readonly engineArgs?: readonly string[];
  readonly connections: ReadonlyArray<readonly string[]>;
  readonly rate: number;
  readonly seconds: number;
  readonly symbols: number;
  readonly measure: SubscriberPlan['measure'];
  /** The subscriber program: ws clients that time each trade (default), or raw sockets that only count frames. */
  readonly subscriberScript?: 'subscribers.js' | 'frame-counter.js';
  /** Seconds at the start whose ticks are delivered but not timed (default 2). */
  readonly warmupSeconds?: number;
  /** Per-interval latency histograms of this many seconds (soak). */
  readonly intervalSeconds?: number;
  /** Called every second while the publisher runs (soak). */
  readonly onSecond?: (elapsed: number, rssMb: number) => void;
}

export interface SessionResult {
  readonly specific: Histogram;
  readonly wildcard: Histogram;
  readonly intervals: Histogram[];
  readonly received: number;
  readonly sent: number;
  readonly deliverySeconds: number;
  readonly cpuPercent: number;
  /** CPU of the load generators (publisher + subscribers), percent of one core: on a small machine they compete with the engine. */
  readonly clientCpuPercent: number;
  readonly rssMb: number;
  /** tickflow only: p50 and p99 of each stage of tickflow_stage_latency_seconds from /metrics at the end, in µs. */
  readonly stageUs: Record<string, number>;
}

/**
 * The median and p99 of each of the engine's own stage histograms (tickflow's
 * /metrics, over its last complete 10 s; the baseline has none), in µs, keyed `<stage>_p50_us` and
 * `<stage>_p99_us`: where the engine's share of a latency ends.
 */
export async function stageQuantiles(port: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const names = new Map([
    ['0.5', 'p50'],
    ['0.99', 'p99'],
  ]);
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const match of text.matchAll(/^tickflow_stage_latency_seconds\{stage="([a-z_]+)",quantile="([0-9.]+)"\} (\S+)$/gm)) {
      const name = names.get(match[2] as string);
      if (name !== undefined) out[`${match[1] as string}_${name}_us`] = Math.round(Number(match[3]) * 1e7) / 10;
    }
  } catch {
    // No /metrics: nothing to add.
  }
  return out;
}

/** Forks one of the load programs of this folder, with IPC. */
export function child(script: string): ChildProcess {
  return fork(join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The child's next message, or a rejection when it exits first or reports {error}. */
export function nextMessage<T>(proc: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`${what} exited with ${code}`));
    proc.once('exit', onExit);
    proc.once('message', (message: T & { error?: string }) => {
      proc.off('exit', onExit);
      if (message.error !== undefined) reject(new Error(`${what}: ${message.error}`));
      else resolve(message);
    });
  });
}

export async function runSession(plan: SessionPlan): Promise<SessionResult> {
  const engine = await startEngine(plan.engine, plan.engineArgs);
  const subscribers = child(plan.subscriberScript ?? 'subscribers.js');
  const publisher = child('publisher.js');
  try {
    const url = `ws://127.0.0.1:${engine.port}`;
    // The common start instant: time enough for every connection to subscribe.
    const startNs = process.hrtime.bigint() + 3_000_000_000n;
    const subPlan: SubscriberPlan = {
      url: `${url}/ws`,
      connections: plan.connections,
      start: String(startNs),
      rate: plan.rate,
      measure: plan.measure,
      intervalSeconds: plan.intervalSeconds,
      warmupSeconds: plan.warmupSeconds ?? 2,
    };
    const ready = nextMessage<{ ready: boolean }>(subscribers, 'subscribers');
    subscribers.send(subPlan);
    await ready;
    if (process.hrtime.bigint() > startNs - 500_000_000n) throw new Error('subscribers took too long to connect');
    const eventStart = Date.now() - 60_000;
    const pubPlan: PublisherPlan = {
      url: `${url}/ingest`,
      rate: plan.rate,
      seconds: plan.seconds,
      symbols: plan.symbols,
      start: String(startNs),
      eventStart,
    };
    const clientCpu = (): number => processCpuSeconds(subscribers.pid as number) + processCpuSeconds(publisher.pid as number);
    const cpuBefore = engine.cpuSeconds();
    const clientBefore = clientCpu();
    const wallBefore = process.hrtime.bigint();
    let peakRss = engine.rssMb();
    const sampler = setInterval(() => {
      // Each scrape lets the engine rotate its stage histograms every 10 s,
      // so the ones read at the end cover the last complete 10 s of steady
      // load rather than everything since start-up (connections, warm-up).
      if (plan.engine === 'tickflow')
        void fetch(`http://127.0.0.1:${engine.port}/metrics`)
          .then((r) => r.text())
          .catch(() => undefined);
      const rss = engine.rssMb();
      peakRss = Math.max(peakRss, rss);
      plan.onSecond?.(Number(process.hrtime.bigint() - startNs) / 1e9, rss);
    }, 1000);
    const done = nextMessage<{ sent: number }>(publisher, 'publisher');
    publisher.send(pubPlan);
    const { sent } = await done;
    // Let the last ticks arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    clearInterval(sampler);
    const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
    const cpuPercent = ((engine.cpuSeconds() - cpuBefore) / wall) * 100;
    const clientCpuPercent = ((clientCpu() - clientBefore) / wall) * 100;
    const stageUs = plan.engine === 'tickflow' ? await stageQuantiles(engine.port) : {};
    const reportPromise = nextMessage<SubscriberReport>(subscribers, 'subscribers');
    subscribers.send({ finish: true });
    const report = await reportPromise;
    return {
      specific: decodeHistogram(report.specific),
      wildcard: decodeHistogram(report.wildcard),
      intervals: report.intervals.map(decodeHistogram),
      received: report.received,
      sent,
      deliverySeconds: (report.lastNs - report.firstNs) / 1e9,
      cpuPercent,
      clientCpuPercent,
      rssMb: peakRss,
      stageUs,
    };
  } finally {
    subscribers.kill('SIGKILL');
    publisher.kill('SIGKILL');
    await engine.stop();
  }
}
