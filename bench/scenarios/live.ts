// live: tickflow's tick-to-subscriber latency at fixed offered rates, read
// against a transport floor measured in the same run. At each rate the floor
// (bare uWebSockets.js, bench/floor/relay.ts), tickflow and the Node
// baseline take turns run by run, each on a fresh process, under the same
// light probe (bench/load/probe.ts: one publisher, one trades.* subscriber,
// 500 symbols, trades only). The headline latency counts from each tick's
// due time; the same deliveries from their send time, the probe's own
// lateness and CPU, and every engine's CPU and memory are recorded beside
// it, and the ratios to the floor and to the baseline are noted per rate.

import { existsSync } from 'node:fs';
import { newHistogram, type Histogram, type LatencySummary } from '../hdr';
import { BASELINE_SERVER, isTickflow, setOtherBuild, type EngineKind } from '../load/engine-process';
import { runProbeSession } from '../load/probe-session';
import { ScenarioRecorder } from '../results';

export interface LiveOptions {
  /** Offered ticks/s, one series per engine for each. */
  readonly rates: readonly number[];
  /** Length of each run, warm-up included. */
  readonly seconds: number;
  readonly runs: number;
  /** Extra `tickflow serve` flags, e.g. ['--idle-spin-us', '200']. */
  readonly engineArgs?: readonly string[];
  /** Only these engines (default: floor, tickflow and, when built, the baseline). */
  readonly engines?: readonly EngineKind[];
  /** Another built checkout, run as `tickflow-before` beside tickflow in the same runs. */
  readonly before?: string;
  /** A second checkout of this build, run as `tickflow-control`: the run's noise between identical builds. */
  readonly control?: string;
}

const SYMBOLS = 500;
const WARMUP_SECONDS = 2;

/** Everything one engine's runs at one rate add up to. */
interface Tally {
  readonly fromDue: Histogram;
  readonly fromSend: Histogram;
  readonly lateness: Histogram;
  sent: number;
  delivered: number;
  duplicates: number;
  engineCpu: number;
  probeCpu: number;
  rssMb: number;
  stageUs: Record<string, number>;
  ingestReplies: number;
  firstIngestReply: string;
  timerSlackNs: number;
}

function newTally(): Tally {
  return {
    fromDue: newHistogram(),
    fromSend: newHistogram(),
    lateness: newHistogram(),
    sent: 0,
    delivered: 0,
    duplicates: 0,
    engineCpu: 0,
    probeCpu: 0,
    rssMb: 0,
    stageUs: {},
    ingestReplies: 0,
    firstIngestReply: '',
    timerSlackNs: NaN,
  };
}

const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const rateName = (rate: number): string => `${rate / 1000}k ticks/s`;

/** One engine over another (the floor, or another build) at p50, p99 and p99.9 of one latency base. */
function overFloor(tickflow: LatencySummary, floor: LatencySummary): string {
  return (
    `p50 ${ratio(tickflow.p50_us, floor.p50_us)}, p99 ${ratio(tickflow.p99_us, floor.p99_us)}, p99.9 ` +
    `${ratio(tickflow.p99_9_us, floor.p99_9_us)}`
  );
}

export async function liveScenario(options: LiveOptions): Promise<void> {
  const built: EngineKind[] = existsSync(BASELINE_SERVER) ? ['floor', 'tickflow', 'baseline'] : ['floor', 'tickflow'];
  const engines = built.filter((e) => options.engines === undefined || options.engines.includes(e));
  if (options.control !== undefined) {
    setOtherBuild('tickflow-control', options.control);
    engines.splice(engines.indexOf('tickflow') + 1, 0, 'tickflow-control');
  }
  if (options.before !== undefined) {
    setOtherBuild('tickflow-before', options.before);
    engines.splice(engines.indexOf('tickflow') + 1, 0, 'tickflow-before');
  }
  const rec = new ScenarioRecorder('live', {
    load: 'probe: 1 publisher, 1 trades.* subscriber, trades only',
    symbols: SYMBOLS,
    seconds_per_run: options.seconds,
    warmup_seconds: WARMUP_SECONDS,
    runs: options.runs,
    rates: options.rates.join(','),
    engines: engines.join(','),
    engine_args: (options.engineArgs ?? []).join(' '),
    before: options.before ?? '',
    control: options.control ?? '',
  });
  if (!built.includes('baseline')) rec.note('the Node baseline is not built (dist/bench/baseline/server.js): floor and tickflow only');
  const best = new Map<EngineKind, number>();
  for (const rate of options.rates) {
    const tallies = new Map<EngineKind, Tally>(engines.map((e) => [e, newTally()]));
    // Interleaved run by run, so a change in the machine's load over the minutes falls on every engine alike.
    for (let r = 0; r < options.runs; r++) {
      for (const engine of engines) {
        const t = tallies.get(engine) as Tally;
        const result = await runProbeSession(engine, isTickflow(engine) ? (options.engineArgs ?? []) : [], {
          rate,
          seconds: options.seconds,
          symbols: SYMBOLS,
          warmupSeconds: WARMUP_SECONDS,
        });
        t.fromDue.add(result.fromDue);
        t.fromSend.add(result.fromSend);
        t.lateness.add(result.lateness);
        for (const h of [result.fromDue, result.fromSend, result.lateness]) h.destroy();
        t.sent += result.sent;
        t.delivered += result.delivered;
        t.duplicates += result.duplicates;
        t.engineCpu += result.engineCpuPercent / options.runs;
        t.probeCpu += result.probeCpuPercent / options.runs;
        t.rssMb = Math.max(t.rssMb, result.rssMb);
        t.stageUs = result.stageUs;
        t.ingestReplies += result.ingestReplies;
        if (t.firstIngestReply === '') t.firstIngestReply = result.firstIngestReply;
        t.timerSlackNs = result.timerSlackNs;
      }
    }
    const due = new Map<EngineKind, LatencySummary>();
    const send = new Map<EngineKind, LatencySummary>();
    for (const engine of engines) {
      const t = tallies.get(engine) as Tally;
      const series = rec.add(
        {
          name: `${engine} ${rateName(rate)}`,
          settings: { engine, offered_ticks_per_s: rate },
          throughput: rate,
          unit: 'ticks/s offered',
          cpu_percent: t.engineCpu,
          rss_mb: t.rssMb,
          extra: {
            ...t.stageUs,
            delivered: t.delivered,
            expected: t.sent,
            delivered_fraction: Number((t.delivered / Math.max(1, t.sent)).toFixed(4)),
            duplicates: t.duplicates,
            probe_cpu_percent: Math.round(t.probeCpu),
            ingest_replies: t.ingestReplies,
            first_ingest_reply: t.firstIngestReply === '' ? null : t.firstIngestReply,
            probe_timer_slack_ns: t.timerSlackNs,
          },
        },
        t.fromDue,
        { from_send: t.fromSend, probe_lateness: t.lateness },
      );
      console.log(`  delivered ${t.delivered}/${t.sent}, probe cpu ${Math.round(t.probeCpu)} %`);
      if (series.latency !== undefined) due.set(engine, series.latency);
      if (series.latencies?.from_send !== undefined) send.set(engine, series.latencies.from_send);
      if ((series.latency?.p99_us ?? Infinity) < 1000 && t.delivered >= t.sent) best.set(engine, Math.max(best.get(engine) ?? 0, rate));
    }
    const [tf, fl, bl] = [due.get('tickflow'), due.get('floor'), due.get('baseline')];
    const [tfSend, flSend] = [send.get('tickflow'), send.get('floor')];
    if (tf !== undefined && fl !== undefined && tfSend !== undefined && flSend !== undefined) {
      rec.note(`${rateName(rate)}: tickflow / floor from due ${overFloor(tf, fl)}; from send ${overFloor(tfSend, flSend)}`);
    }
    for (const other of ['tickflow-before', 'tickflow-control'] as const) {
      const them = due.get(other);
      if (tf !== undefined && them !== undefined) rec.note(`${rateName(rate)}: tickflow / ${other} from due ${overFloor(tf, them)}`);
    }
    if (tf !== undefined && bl !== undefined)
      rec.note(`${rateName(rate)}: tickflow p99 / baseline p99 from due ${ratio(tf.p99_us, bl.p99_us)}`);
  }
  for (const engine of engines) {
    const rate = best.get(engine);
    rec.note(
      rate === undefined
        ? `${engine}: p99 was over 1 ms at every offered rate`
        : `${engine}: highest offered rate measured with p99 under 1 ms and every tick delivered: ${rate.toLocaleString('en-US')} ticks/s`,
    );
  }
  rec.write();
}
