// Replay throughput: ticks/s of `tickflow replay` (all analytics on) over one
// generated feed, for each input format and partition count, runs
// interleaved so that machine noise spreads evenly, reported as medians and
// as ratios to the first configuration measured in the same run.
//
//   node dist/bench/replay-throughput.js [--ticks 1000000] [--runs 5] [--partitions 1,2] [--formats ndjson,fb] [--pin|--no-pin]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { machineLine, median } from './machine';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'tickflow.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const ticks = Number(arg('ticks', '1000000'));
const runs = Number(arg('runs', '5'));
const partitions = arg('partitions', `1,${Math.max(2, availableParallelism())}`).split(',');
const formats = arg('formats', 'ndjson,fb').split(',');
const pin = !process.argv.includes('--no-pin');

const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });

function feed(format: string): string {
  const file = join(dir, `feed-${ticks}.${format}`);
  if (!existsSync(file)) {
    const gen = spawnSync(process.execPath, [bin, 'gen', '--count', String(ticks), '--symbols', '100', '--rate', '10000',
      '--seed', '1', '--format', format, '--out', file], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error(`gen failed for ${format}`);
  }
  return file;
}

interface Sample {
  ticksPerSecond: number;
  maxRssMb: number;
}

function replayOnce(file: string, format: string, p: string): Sample {
  const result = spawnSync(process.execPath, [bin, 'replay', file, '--format', format, '--partitions', p, pin ? '--pin' : '--no-pin'], {
    encoding: 'utf8', maxBuffer: 1 << 30,
  });
  if (result.status !== 0) throw new Error(`replay failed: ${result.stderr}`);
  const stats = JSON.parse(result.stdout.trimEnd().split('\n').at(-1) ?? '{}') as { ticks_per_second: number; max_rss_mb: number };
  return { ticksPerSecond: stats.ticks_per_second, maxRssMb: stats.max_rss_mb };
}

console.log(machineLine());
console.log(`replay: ${ticks} ticks, 100 symbols, ${runs} runs per configuration, ${pin ? 'pinned' : 'unpinned'}`);
const configs = formats.flatMap((format) => partitions.map((p) => ({ format, p, file: feed(format), samples: [] as Sample[] })));
for (let r = 0; r < runs; r++) {
  for (const config of configs) config.samples.push(replayOnce(config.file, config.format, config.p));
}
const baseline = median(configs[0]?.samples.map((s) => s.ticksPerSecond) ?? [1]);
console.log('| input | partitions | median ticks/s | min-max ticks/s | vs first row | median peak RSS |');
console.log('|---|---|---|---|---|---|');
for (const c of configs) {
  const tps = c.samples.map((s) => s.ticksPerSecond);
  const med = median(tps);
  console.log(`| ${c.format} | ${c.p} | ${Math.round(med).toLocaleString('en-US')} | ${Math.min(...tps).toLocaleString('en-US')}-${Math.max(...tps).toLocaleString('en-US')} | ${(med / baseline).toFixed(2)}x | ${median(c.samples.map((s) => s.maxRssMb))} MiB |`);
}
