// replay: ticks/s of `tickflow replay` with all analytics on, from NDJSON and
// FlatBuffers, 1 and N partitions, pinned and unpinned; the Node baseline's
// replay of the same NDJSON in the same run. Runs are interleaved so machine
// noise spreads evenly; medians are reported, with ratios to the baseline.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { childCpuSeconds } from '../load/engine-process';
import { median } from '../machine';
import { RESULTS_DIR, ScenarioRecorder } from '../results';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'tickflow.js');
const BASELINE = join(ROOT, 'dist', 'bench', 'baseline', 'replay.js');

export interface ReplayOptions {
  readonly ticks: number;
  readonly runs: number;
  readonly quick: boolean;
}

/** A generated feed of `ticks` ticks over 100 symbols, cached in bench/results. */
export function feedFile(ticks: number, format: 'ndjson' | 'fb'): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `feed-${ticks}.${format}`);
  if (!existsSync(file)) {
    const gen = spawnSync(
      process.execPath,
      [BIN, 'gen', '--count', String(ticks), '--symbols', '100', '--rate', '10000', '--seed', '1', '--format', format, '--out', file],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (gen.status !== 0) throw new Error(`tickflow gen failed for ${format}`);
  }
  return file;
}

interface Sample {
  readonly ticksPerSecond: number;
  readonly rssMb: number;
  readonly cpuPercent: number;
}

/** Runs a command whose last stdout line is a stats object. */
function measure(args: readonly string[], rate: (stats: Record<string, number>) => number): Sample {
  const cpuBefore = childCpuSeconds();
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
  const stats = JSON.parse(result.stdout.trimEnd().split('\n').at(-1) ?? '{}') as Record<string, number>;
  return { ticksPerSecond: rate(stats), rssMb: stats.max_rss_mb ?? NaN, cpuPercent: ((childCpuSeconds() - cpuBefore) / wall) * 100 };
}

export async function replayScenario(options: ReplayOptions): Promise<void> {
  const many = Math.max(2, availableParallelism());
  const rec = new ScenarioRecorder('replay', { ticks: options.ticks, symbols: 100, runs: options.runs });
  const ndjson = feedFile(options.ticks, 'ndjson');
  const fb = feedFile(options.ticks, 'fb');
  interface Config {
    name: string;
    settings: Record<string, string | number | boolean>;
    args: string[];
    rate: (s: Record<string, number>) => number;
    samples: Sample[];
  }
  const tickflowRate = (s: Record<string, number>): number => s.ticks_per_second ?? NaN;
  const configs: Config[] = [];
  for (const [format, file] of [
    ['ndjson', ndjson],
    ['fb', fb],
  ] as const) {
    for (const partitions of options.quick ? [1] : [1, many]) {
      for (const pin of options.quick ? [true] : [true, false]) {
        configs.push({
          name: `tickflow ${format} ${partitions}p ${pin ? 'pinned' : 'unpinned'}`,
          settings: { format, partitions, pin },
          args: [BIN, 'replay', file, '--format', format, '--partitions', String(partitions), pin ? '--pin' : '--no-pin'],
          rate: tickflowRate,
          samples: [],
        });
      }
    }
  }
  if (existsSync(BASELINE)) {
    configs.push({
      name: 'node baseline ndjson',
      settings: { format: 'ndjson', threads: 2 },
      args: [BASELINE, ndjson],
      rate: (s) => s.ticks_per_s ?? NaN,
      samples: [],
    });
  } else {
    rec.note('the Node baseline is not built (dist/bench/baseline/replay.js): no baseline row');
  }
  for (let r = 0; r < options.runs; r++) {
    for (const config of configs) config.samples.push(measure(config.args, config.rate));
  }
  const baseline = configs.find((c) => c.name.startsWith('node baseline'));
  const baselineRate = baseline === undefined ? NaN : median(baseline.samples.map((s) => s.ticksPerSecond));
  for (const config of configs) {
    const rates = config.samples.map((s) => s.ticksPerSecond);
    const rate = median(rates);
    const cpu = median(config.samples.map((s) => s.cpuPercent));
    rec.add({
      name: config.name,
      settings: config.settings,
      throughput: rate,
      unit: 'ticks/s',
      cpu_percent: cpu,
      rss_mb: median(config.samples.map((s) => s.rssMb)),
      extra: {
        min: Math.round(Math.min(...rates)),
        max: Math.round(Math.max(...rates)),
        ticks_per_s_per_core: Math.round(rate / Math.max(cpu / 100, 1e-9)),
        vs_baseline: Number.isNaN(baselineRate) ? null : Number((rate / baselineRate).toFixed(2)),
      },
    });
  }
  rec.write();
}
