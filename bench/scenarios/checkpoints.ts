// checkpoints: what checkpoints cost live ticks. `tickflow serve` plays a
// recorded feed through the file source (by default feed-10k-7m at
// --speed 2: about 10,000 ticks/s, the 5-minute windows full after about
// 150 s), checkpointing every 5 s into its store, while the live probe
// (bench/load/probe.ts) publishes trades on /ingest and times them on its
// symbols' trade channels at a light rate. The engine logs when each checkpoint was asked
// for and answered (`--log-level debug`, "checkpoint taken"); each timed
// tick counts as during a checkpoint when its due time falls in one of
// those spans, or up to 5 ms before one (a tick due then is still on its
// way when the checkpoint starts), else as between. Only ticks due once the
// windows are full count. The note gives p99 and p99.9 during against
// between: the target is at most 1.2 times.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newHistogram, summarize } from '../hdr';
import { startEngine } from '../load/engine-process';
import { runProbe } from '../load/probe-session';
import { RESULTS_DIR, ScenarioRecorder } from '../results';

export interface CheckpointsOptions {
  /** The feed the file source plays (made with `tickflow gen` when missing). */
  readonly feed: string;
  readonly speed: number;
  /** Ticks/s the probe offers on /ingest. */
  readonly rate: number;
  readonly seconds: number;
  /** Seconds from the start after which the windows are full. */
  readonly fullAfterSeconds: number;
  /** Extra `tickflow serve` flags, e.g. ['--partitions', '1']. */
  readonly engineArgs?: readonly string[];
}

/** A tick due this long before a checkpoint is asked for may still be in the engine when it starts. */
const LEAD_MS = 5;
const GEN_ARGS = ['gen', '--symbols', '100', '--rate', '10000', '--duration', '7m', '--seed', '1'];

export function defaultFeed(): string {
  return join(RESULTS_DIR, 'feed-10k-7m.ndjson');
}

export async function checkpointsScenario(options: CheckpointsOptions): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  if (!existsSync(options.feed)) {
    console.log(`making ${options.feed}`);
    execFileSync(process.execPath, [join(root, 'bin', 'tickflow.js'), ...GEN_ARGS, '--out', options.feed], { stdio: 'inherit' });
  }
  const rec = new ScenarioRecorder('checkpoints', {
    feed: options.feed.slice(options.feed.lastIndexOf('/') + 1),
    speed: options.speed,
    probe_ticks_per_s: options.rate,
    seconds: options.seconds,
    windows_full_after_s: options.fullAfterSeconds,
    engine_args: (options.engineArgs ?? []).join(' '),
  });
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-checkpoints-'));
  const samplesFile = join(dir, 'samples.bin');
  const spans: Array<{ from: number; to: number }> = [];
  const engine = await startEngine('tickflow', [
    '--source',
    `file:${options.feed}`,
    '--speed',
    String(options.speed),
    '--db',
    join(dir, 'checkpoints.db'),
    '--log-level',
    'debug',
    ...(options.engineArgs ?? []),
  ]);
  const started = Date.now();
  let pending = '';
  const onData = (chunk: Buffer): void => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('checkpoint taken')) continue;
      const entry = JSON.parse(line) as { requested_at: number; answered_at: number };
      spans.push({ from: entry.requested_at - LEAD_MS, to: entry.answered_at });
    }
  };
  engine.child.stdout?.on('data', onData);
  engine.child.stderr?.on('data', onData);
  try {
    const result = await runProbe(engine, {
      rate: options.rate,
      seconds: options.seconds,
      symbols: 50,
      warmupSeconds: 2,
      samplesFile,
      ownChannels: true,
    });
    const samples = new Float64Array(readFileSync(samplesFile).buffer.slice(0));
    const during = newHistogram();
    const between = newHistogram();
    const fullFrom = started + options.fullAfterSeconds * 1000;
    let span = 0;
    for (let i = 0; i < samples.length; i += 2) {
      const due = samples[i] as number;
      if (due < fullFrom) continue;
      while (span < spans.length && (spans[span] as { to: number }).to < due) span++;
      const inSpan = span < spans.length && (spans[span] as { from: number }).from <= due;
      (inSpan ? during : between).recordValue(samples[i + 1] as number);
    }
    const checkpoints = spans.filter((s) => s.to >= fullFrom).length;
    const extra = { delivered: result.delivered, sent: result.sent, checkpoints, probe_cpu_percent: Math.round(result.probeCpuPercent) };
    rec.add({ name: 'during checkpoints', settings: { part: 'during' }, throughput: options.rate, unit: 'ticks/s offered', extra }, during);
    rec.add(
      {
        name: 'between checkpoints',
        settings: { part: 'between' },
        throughput: options.rate,
        unit: 'ticks/s offered',
        cpu_percent: result.engineCpuPercent,
        rss_mb: result.rssMb,
      },
      between,
    );
    const [d, b] = [summarize(during), summarize(between)];
    const spanMs = spans.filter((s) => s.to >= fullFrom).map((s) => s.to - s.from - LEAD_MS);
    spanMs.sort((x, y) => x - y);
    rec.note(
      `with the windows full: ${checkpoints} checkpoints, each in progress for ${spanMs[spanMs.length >> 1] ?? NaN} ms (median), ` +
        `${spanMs.at(-1) ?? NaN} ms at most; ${d.count} ticks timed during them, ${b.count} between`,
    );
    rec.note(
      `p99 during / between: ${(d.p99_us / b.p99_us).toFixed(2)} (${d.p99_us} / ${b.p99_us} µs); ` +
        `p99.9: ${(d.p99_9_us / b.p99_9_us).toFixed(2)} (${d.p99_9_us} / ${b.p99_9_us} µs); target p99 ratio ≤ 1.2`,
    );
    if (result.delivered < result.sent) rec.note(`${result.sent - result.delivered} of ${result.sent} probe ticks were not delivered`);
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  rec.write();
}
