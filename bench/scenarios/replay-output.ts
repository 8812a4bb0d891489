// replay, output-heavy: a backtest's shape, where results rather than ticks
// dominate. 300,000 ticks of 100 symbols over 40 minutes of event time
// (trades, quotes and BBOs mixed), replayed with the default intervals
// (1s, 1m, 5m): about one result record for every three ticks. Measured as
// whole processes, start-up included, interleaved with a bare readline +
// JSON.parse of the same file (bench/baseline/parse-only.ts); the figure is
// the median of the per-pair ratios of wall time.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../machine';
import { RESULTS_DIR, ScenarioRecorder } from '../results';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'tickflow.js');
const PARSE_ONLY = join(ROOT, 'dist', 'bench', 'baseline', 'parse-only.js');

export interface ReplayOutputOptions {
  readonly runs: number;
}

/** The output-heavy feed, generated once and cached in bench/results. */
export function heavyFeed(): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'feed-heavy-300000.ndjson');
  if (!existsSync(file)) {
    const args = ['gen', '--symbols', '100', '--rate', '125', '--duration', '40m', '--seed', '1', '--out', file];
    const gen = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (gen.status !== 0) throw new Error('tickflow gen failed for the output-heavy feed');
  }
  return file;
}

/** Wall seconds of one whole process, its standard output to `outFile`. */
function timed(args: readonly string[], outFile: string): number {
  const fd = openSync(outFile, 'w');
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', fd, 'pipe'] });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.toString().slice(-2000)}`);
    return wall;
  } finally {
    closeSync(fd);
  }
}

function lastLine(file: string): Record<string, number> {
  const text = readFileSync(file, 'utf8').trimEnd();
  return JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as Record<string, number>;
}

export function replayOutputScenario(options: ReplayOutputOptions): void {
  const feed = heavyFeed();
  const rec = new ScenarioRecorder('replay-output', { ticks: 300_000, symbols: 100, intervals: '1s,1m,5m', runs: options.runs });
  const out = join(RESULTS_DIR, 'replay-output.out.ndjson');
  const replayArgs = [BIN, 'replay', feed];
  const parseArgs = [PARSE_ONLY, feed];
  // One of each first, uncounted: the feed into the page cache, the code into memory.
  timed(replayArgs, out);
  timed(parseArgs, out);
  const replay: number[] = [];
  const parse: number[] = [];
  const ratios: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < options.runs; r++) {
    const a = timed(replayArgs, out);
    rates.push(lastLine(out).ticks_per_second ?? NaN);
    const b = timed(parseArgs, out);
    replay.push(a);
    parse.push(b);
    ratios.push(a / b);
  }
  const ratio = median(ratios);
  rec.add({
    name: 'tickflow replay, output-heavy',
    settings: { format: 'ndjson', intervals: '1s,1m,5m' },
    throughput: median(rates),
    unit: 'ticks/s',
    extra: {
      wall_s: Number(median(replay).toFixed(3)),
      vs_parse_only: Number(ratio.toFixed(2)),
      min_ratio: Number(Math.min(...ratios).toFixed(2)),
      max_ratio: Number(Math.max(...ratios).toFixed(2)),
    },
  });
  rec.add({
    name: 'readline + JSON.parse',
    settings: { format: 'ndjson' },
    throughput: 300_000 / median(parse),
    unit: 'ticks/s',
    extra: { wall_s: Number(median(parse).toFixed(3)) },
  });
  rec.note(`whole processes, start-up included; replay over bare parsing, median of ${options.runs} paired runs: ${ratio.toFixed(2)}x`);
  rec.write();
}
