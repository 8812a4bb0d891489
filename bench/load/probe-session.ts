// One measured run of the live scenario: an engine on a fresh process and the
// probe (probe.ts) against it. The engine's CPU and peak memory are read
// over the same window as the probe's own CPU, from {go} to the probe's
// report (the load and the wait for its last ticks).

import { decodeHistogram, type Histogram } from '../hdr';
import { isTickflow, startEngine, type EngineKind, type EngineProcess } from './engine-process';
import type { ProbeGo, ProbePlan, ProbeReady, ProbeReport } from './probe';
import { child, nextMessage, stageQuantiles } from './session';

export interface ProbeRunPlan {
  /** Ticks/s offered. */
  readonly rate: number;
  readonly seconds: number;
  readonly symbols: number;
  /** Seconds at the start whose ticks are delivered and counted but not timed. */
  readonly warmupSeconds: number;
  /** Each timed tick's due time and latency, written here (ProbePlan.samplesFile). */
  readonly samplesFile?: string;
  /** Its own symbols' trade channels rather than `trades.*` (ProbePlan.ownChannels). */
  readonly ownChannels?: boolean;
}

export interface ProbeRunResult {
  /** Latency (ns) of each timed tick from its due time, and from its send time. */
  readonly fromDue: Histogram;
  readonly fromSend: Histogram;
  /** The probe's lateness (ns): send time − due time of each timed tick. */
  readonly lateness: Histogram;
  readonly sent: number;
  readonly delivered: number;
  readonly duplicates: number;
  /** Percent of one core, every thread, over the same window. */
  readonly probeCpuPercent: number;
  readonly engineCpuPercent: number;
  readonly rssMb: number;
  /** builds of tickflow only: their stage quantiles from /metrics at the end, in µs (see session.ts). */
  readonly stageUs: Record<string, number>;
  readonly wakes: number;
  readonly frames: number;
  readonly maxBufferedBytes: number;
  readonly ingestReplies: number;
  readonly firstIngestReply: string;
  readonly timerSlackNs: number;
}

/** Runs the probe against an engine already started; the probe process is gone when this settles. */
export async function runProbe(engine: EngineProcess, plan: ProbeRunPlan): Promise<ProbeRunResult> {
  const probe = child('probe.js');
  const exited = new Promise<void>((resolve) => probe.once('exit', () => resolve()));
  let sampler: NodeJS.Timeout | undefined;
  try {
    const ready = nextMessage<ProbeReady>(probe, 'probe');
    const probePlan: ProbePlan = { url: `ws://127.0.0.1:${engine.port}`, ...plan };
    probe.send(probePlan);
    await ready;
    let peakRss = engine.rssMb();
    sampler = setInterval(() => {
      // Each scrape lets tickflow rotate its stage histograms every 10 s, so
      // the ones read at the end cover the last complete 10 s of steady load
      // rather than everything since start-up.
      if (engine.kind === 'tickflow')
        void fetch(`http://127.0.0.1:${engine.port}/metrics`)
          .then((r) => r.text())
          .catch(() => undefined);
      peakRss = Math.max(peakRss, engine.rssMb());
    }, 1000);
    const done = nextMessage<ProbeReport>(probe, 'probe');
    const cpuBefore = engine.cpuSeconds();
    const wallBefore = process.hrtime.bigint();
    probe.send({ go: true } satisfies ProbeGo);
    const report = await done;
    const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
    const engineCpuPercent = ((engine.cpuSeconds() - cpuBefore) / wall) * 100;
    peakRss = Math.max(peakRss, engine.rssMb());
    clearInterval(sampler);
    const stageUs = isTickflow(engine.kind) ? await stageQuantiles(engine.port) : {};
    return {
      fromDue: decodeHistogram(report.fromDue),
      fromSend: decodeHistogram(report.fromSend),
      lateness: decodeHistogram(report.lateness),
      sent: report.sent,
      delivered: report.delivered,
      duplicates: report.duplicates,
      probeCpuPercent: report.cpuPercent,
      engineCpuPercent,
      rssMb: peakRss,
      stageUs,
      wakes: report.wakes,
      frames: report.frames,
      maxBufferedBytes: report.maxBufferedBytes,
      ingestReplies: report.ingestReplies,
      firstIngestReply: report.firstIngestReply,
      timerSlackNs: report.timerSlackNs,
    };
  } finally {
    clearInterval(sampler);
    if (probe.exitCode === null && probe.signalCode === null) probe.kill('SIGKILL');
    await exited;
  }
}

/** A fresh engine process for one run, stopped afterwards whatever happens. */
export async function runProbeSession(kind: EngineKind, engineArgs: readonly string[], plan: ProbeRunPlan): Promise<ProbeRunResult> {
  const engine = await startEngine(kind, engineArgs);
  try {
    return await runProbe(engine, plan);
  } finally {
    await engine.stop();
  }
}
