// live: a publisher on /ingest at fixed offered rates over 500 symbols; 100
// subscribers on 5 symbols' trades each plus one on trades.*; latency from
// each tick's intended send time to its delivery. tickflow and the Node
// baseline take turns at each rate, each on a fresh process; the highest
// rate at which p99 stays under 1 ms is reported per engine.

import { existsSync } from 'node:fs';
import { BASELINE_SERVER, type EngineKind } from '../load/engine-process';
import { runSession } from '../load/session';
import { expectedDeliveries, symbolName } from '../load/ticks';
import { newHistogram, type Histogram } from '../hdr';
import { ScenarioRecorder } from '../results';

export interface LiveOptions {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly runs: number;
  /** Extra `tickflow serve` flags, e.g. ['--idle-spin-us', '200']. */
  readonly engineArgs?: readonly string[];
}

const SYMBOLS = 500;
const SUBSCRIBERS = 100;

export function liveConnections(): string[][] {
  const per = SYMBOLS / SUBSCRIBERS;
  const connections = Array.from({ length: SUBSCRIBERS }, (_, k) => Array.from({ length: per }, (_, j) => `trades.${symbolName(k * per + j)}`));
  connections.push(['trades.*']);
  return connections;
}

export async function liveScenario(options: LiveOptions): Promise<void> {
  const engines: EngineKind[] = existsSync(BASELINE_SERVER) ? ['tickflow', 'baseline'] : ['tickflow'];
  const rec = new ScenarioRecorder('live', {
    symbols: SYMBOLS, subscribers: SUBSCRIBERS, wildcard_subscribers: 1, seconds_per_rate: options.seconds, runs: options.runs, rates: options.rates.join(','), engine_args: (options.engineArgs ?? []).join(' '),
  });
  if (engines.length === 1) rec.note('the Node baseline is not built (dist/bench/baseline/server.js): tickflow only');
  const best = new Map<EngineKind, number>();
  for (const rate of options.rates) {
    for (const engine of engines) {
      const all: Histogram = newHistogram();
      let received = 0;
      let expected = 0;
      let cpu = 0;
      let rss = 0;
      let clientCpu = 0;
      let stages: Record<string, number> = {};
      for (let r = 0; r < options.runs; r++) {
        const result = await runSession({ engine, engineArgs: engine === 'tickflow' ? options.engineArgs : [], connections: liveConnections(), rate, seconds: options.seconds, symbols: SYMBOLS, measure: 'latency' });
        all.add(result.specific);
        all.add(result.wildcard);
        result.specific.destroy();
        result.wildcard.destroy();
        received += result.received;
        expected += expectedDeliveries(result.sent);
        cpu += result.cpuPercent / options.runs;
        clientCpu += result.clientCpuPercent / options.runs;
        stages = result.stageUs;
        rss = Math.max(rss, result.rssMb);
      }
      const series = rec.add({
        name: `${engine} ${rate / 1000}k ticks/s`, settings: { engine, offered_ticks_per_s: rate },
        throughput: rate, unit: 'ticks/s offered', cpu_percent: cpu, rss_mb: rss,
        extra: { ...stages, load_generator_cpu_percent: Math.round(clientCpu), delivered: received, expected, delivered_fraction: Number((received / Math.max(1, expected)).toFixed(4)) },
      }, all);
      if ((series.latency?.p99_us ?? Infinity) < 1000 && received >= expected) best.set(engine, Math.max(best.get(engine) ?? 0, rate));
    }
  }
  for (const engine of engines) {
    const rate = best.get(engine);
    rec.note(rate === undefined ? `${engine}: p99 was over 1 ms at every offered rate` : `${engine}: highest offered rate measured with p99 under 1 ms and every tick delivered: ${rate.toLocaleString('en-US')} ticks/s`);
  }
  rec.write();
}
