// fanout: 1,000 subscribers on shared channels (10 symbols' trades, 100
// connections each); a publisher offers ticks at a fixed rate; the score is
// messages/s delivered, counted by raw-socket clients that read only frame
// headers. tickflow and the Node baseline under the same load, same run.

import { existsSync } from 'node:fs';
import { BASELINE_SERVER, type EngineKind } from '../load/engine-process';
import { runSession } from '../load/session';
import { expectedDeliveries, symbolName } from '../load/ticks';
import { ScenarioRecorder } from '../results';

export interface FanoutOptions {
  readonly subscribers: number;
  readonly seconds: number;
  /** Ticks/s offered (two thirds are trades, each delivered to subscribers / symbols connections). */
  readonly rate: number;
}

const SYMBOLS = 10;

export async function fanoutScenario(options: FanoutOptions): Promise<void> {
  const engines: EngineKind[] = existsSync(BASELINE_SERVER) ? ['tickflow', 'baseline'] : ['tickflow'];
  const perSymbol = options.subscribers / SYMBOLS;
  const rec = new ScenarioRecorder('fanout', {
    subscribers: options.subscribers,
    symbols: SYMBOLS,
    subscribers_per_channel: perSymbol,
    offered_ticks_per_s: options.rate,
    seconds: options.seconds,
  });
  const connections = Array.from({ length: options.subscribers }, (_, k) => [`trades.${symbolName(k % SYMBOLS)}`]);
  for (const engine of engines) {
    const result = await runSession({
      engine,
      connections,
      rate: options.rate,
      seconds: options.seconds,
      symbols: SYMBOLS,
      measure: 'count',
      subscriberScript: 'frame-counter.js',
    });
    result.specific.destroy();
    result.wildcard.destroy();
    // Each trade reaches perSymbol connections; expectedDeliveries counts 2 per trade.
    const expected = (expectedDeliveries(result.sent) / 2) * perSymbol;
    rec.add({
      name: `${engine} fan-out`,
      settings: { engine, offered_ticks_per_s: options.rate },
      throughput: result.received / Math.max(result.deliverySeconds, 1e-9),
      unit: 'messages/s delivered',
      cpu_percent: result.cpuPercent,
      rss_mb: result.rssMb,
      extra: {
        load_generator_cpu_percent: Math.round(result.clientCpuPercent),
        delivered: result.received,
        offered: expected,
        delivered_fraction: Number((result.received / Math.max(1, expected)).toFixed(4)),
        offered_messages_per_s: Math.round(expected / options.seconds),
      },
    });
  }
  rec.write();
}
