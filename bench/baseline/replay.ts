// The Node baseline's replay: an NDJSON file read line by line with
// readline, each line JSON.parse'd and validated, ticks posted to one worker
// thread in batches, the worker's results posted back as plain objects and
// written as NDJSON. Prints one stats line on stdout at the end.
//
//   node dist/bench/baseline/replay.js FILE [--batch 100] [--out FILE|-]
//
// Final bars, indicators and alerts go to --out (default: standard output);
// the stats line always goes to standard output, last.

import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { Rejection } from '../../src/records/rejection';
import { AnalyticsThread, ValidTick, toBaselineTick } from './analytics-thread';
import { runCommand } from './command';
import type { BaselineTick, FromWorker } from './messages';

/**
 * Ticks per postMessage. One post per line ran at under half the speed of
 * batches of 10 to 10,000, and 100 was as fast as any (bench/README.md), so
 * the fair baseline batches by 100.
 */
const DEFAULT_BATCH = 100;
/** Ticks posted but not yet answered before reading pauses, so memory stays bounded. */
const MAX_QUEUED_TICKS = 65_536;

interface Args {
  file: string;
  batch: number;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { file: '', batch: DEFAULT_BATCH, out: '-' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--batch' || arg === '--out') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '--out') args.out = value;
      else if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--batch must be an integer >= 1, got ${JSON.stringify(value)}`);
      else args.batch = Number(value);
    } else if (args.file === '' && !arg.startsWith('--')) {
      args.file = arg;
    } else {
      throw new Error(`unexpected argument ${JSON.stringify(arg)}; usage: replay.js FILE [--batch N] [--out FILE|-]`);
    }
  }
  if (args.file === '') throw new Error('usage: replay.js FILE [--batch N] [--out FILE|-]');
  return args;
}

async function main(args: Args): Promise<void> {
  const out: Writable = args.out === '-' ? process.stdout : createWriteStream(args.out);
  const maxInFlight = Math.max(4, Math.ceil(MAX_QUEUED_TICKS / args.batch));
  let inFlight = 0;
  let paused = false;
  let onFlushed: (counters: { accepted: number; duplicate: number; late: number }) => void = () => undefined;
  let resumeReading = (): void => undefined;

  const onMessage = (message: FromWorker): void => {
    if (message.kind === 'flushed') {
      onFlushed(message.counters);
      return;
    }
    inFlight -= message.batches;
    let text = '';
    for (const record of message.records) {
      if (record.type === 'bar' || record.type === 'indicator' || record.type === 'alert') text += `${JSON.stringify(record)}\n`;
    }
    if (text !== '') out.write(text);
    if (paused && inFlight <= maxInFlight / 2) resumeReading();
  };
  const worker = await AnalyticsThread.start(false, onMessage);

  const started = process.hrtime.bigint();
  const scratch = new ValidTick();
  let lines = 0;
  let posted = 0;
  let rejected = 0;
  let batch: BaselineTick[] = [];
  const flushBatch = (): void => {
    if (batch.length === 0) return;
    worker.post({ kind: 'ticks', ticks: batch });
    posted += batch.length;
    inFlight++;
    batch = [];
  };

  const stream = createReadStream(args.file);
  const input = createInterface({ input: stream, crlfDelay: Infinity });
  resumeReading = () => {
    paused = false;
    input.resume();
  };
  input.on('line', (text) => {
    lines++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      rejected++;
      return;
    }
    const tick = toBaselineTick(value, scratch, lines);
    if (tick instanceof Rejection) {
      rejected++;
      return;
    }
    batch.push(tick);
    if (batch.length >= args.batch) {
      flushBatch();
      if (inFlight >= maxInFlight && !paused) {
        paused = true;
        input.pause();
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    input.once('close', resolve);
    stream.once('error', reject);
  });
  flushBatch();

  const counters = await new Promise<{ accepted: number; duplicate: number; late: number }>((resolve) => {
    onFlushed = resolve;
    worker.post({ kind: 'flush', id: 1 });
  });
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.stop();

  const ticks = posted + rejected;
  process.stdout.write(
    `${JSON.stringify({
      type: 'stats',
      ticks,
      seconds: Math.round(seconds * 1000) / 1000,
      ticks_per_s: Math.round(ticks / seconds),
      accepted: counters.accepted,
      rejected,
      duplicate: counters.duplicate,
      late: counters.late,
      batch: args.batch,
    })}\n`,
  );
}

runCommand('baseline replay', parseArgs, main);
