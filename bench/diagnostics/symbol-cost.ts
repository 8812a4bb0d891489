// What one symbol costs a partition, in bytes of heap and of buffers, in
// three states: registered but never ticked; active, with `--ticks` trades
// and as many quotes in its windows; and quiet again, once `serve`'s idle
// closing has moved its watermark past every window (everything final,
// nothing left in its trailing series).
//
//   npm run build && node --expose-gc dist/bench/diagnostics/symbol-cost.js [--symbols 50000] [--ticks 10]
//
// It drives the partition engine itself (analytics only: no rings, no
// output), with serve's defaults, so the figures are the engine's state and
// nothing else.

import { analyticsConfig } from '../../src/analytics/analytics-config';
import { PartitionEngine } from '../../src/analytics/partition-engine';
import type { ResultSink } from '../../src/analytics/result-sink';
import { loadConfig } from '../../src/config/load';
import { EventType } from '../../src/fb/generated/tickflow/fb/event-type';
import { TickFields } from '../../src/records/tick-fields';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const collect = gc;

const symbols = flag('symbols', 50_000);
const ticks = flag('ticks', 10);
const config = analyticsConfig(loadConfig('serve', [], {}).config, true);
const nothing: ResultSink = { bar() {}, indicator() {}, alert() {}, dropped() {}, accepted() {}, corrected() {} };
const engine = new PartitionEngine(config, nothing);

function bytes(): { heap: number; buffers: number } {
  // Twice: buffers a collection frees are given back by the next one.
  collect();
  collect();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

function report(state: string, before: { heap: number; buffers: number }): void {
  const after = bytes();
  const heap = (after.heap - before.heap) / symbols;
  const buffers = (after.buffers - before.buffers) / symbols;
  console.log(`${state.padEnd(44)} heap ${heap.toFixed(0).padStart(6)} B  buffers ${buffers.toFixed(0).padStart(6)} B  per symbol`);
}

const T0 = 1_704_205_800_000;
const base = bytes();
for (let id = 0; id < symbols; id++) engine.registerSymbol(id, `S${id}`);
report('registered, never ticked', base);

const tick = new TickFields();
let now = 0;
for (let k = 0; k < ticks; k++) {
  for (let id = 0; id < symbols; id++) {
    // Processing time as serve's: the round's second, spread over the symbols,
    // with the forming updates that fall due sent as it moves.
    const at = k * 1000 + Math.floor((id * 1000) / symbols);
    if (at !== now) {
      now = at;
      engine.emitForming(now);
    }
    tick.symbolId = id;
    tick.timestamp = T0 + k * 1000 + (id % 1000);
    tick.seq = k * 2;
    tick.eventType = EventType.TRADE;
    tick.price = 100 + (k % 7) / 100;
    tick.volume = 100;
    engine.process(tick, now);
    tick.seq = k * 2 + 1;
    tick.eventType = EventType.QUOTE;
    tick.bid = 99.9;
    tick.ask = 100.1;
    engine.process(tick, now);
  }
}
// Forming updates go out as serve sends them, a period after the bars changed.
now += config.barUpdateMs;
engine.emitForming(now);
report(`active: ${ticks} trades and ${ticks} quotes each`, base);

// Quiet far longer than every window: idle closing moves each watermark past them.
engine.advanceIdle(now + config.alertWindowMs + config.indicatorWindowMs + 3_600_000);
report('quiet again: every window closed', base);
