// soak: a publisher over 500 symbols and 100 + 1 `ws` subscribers (each on
// 5 symbols' trades, one on trades.*) at 50k ticks/s for ten minutes, on
// tickflow and then on the Node baseline (when built); RSS and latency
// percentiles for every minute of each. The notes read the worst minute, not
// only the first and the last: its p99 against the median minute's, and the
// RSS growth once the 5-minute windows are full (from the end of minute 6 to
// the last), besides the first-to-last figures.

import { existsSync } from 'node:fs';
import type { Histogram } from 'hdr-histogram-js';
import { summarize } from '../hdr';
import { BASELINE_SERVER, type EngineKind } from '../load/engine-process';
import { runSession } from '../load/session';
import { expectedDeliveries, symbolName } from '../load/ticks';
import { ScenarioRecorder } from '../results';

export interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
  /** Default: tickflow, and the baseline when built. */
  readonly engines?: readonly EngineKind[];
  /** Extra `tickflow serve` flags (the baseline takes none). */
  readonly engineArgs?: readonly string[];
}

/** The minute the 5-minute windows are full in: RSS growth from its end is the state's, not the windows' filling. */
const WINDOWS_FULL_MINUTE = 6;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const SYMBOLS = 500;
const SUBSCRIBERS = 100;

/** Channel lists, one per connection: 5 symbols' trades each, then one on every symbol's. */
function connections(): string[][] {
  const per = SYMBOLS / SUBSCRIBERS;
  const lists = Array.from({ length: SUBSCRIBERS }, (_, k) => Array.from({ length: per }, (_, j) => `trades.${symbolName(k * per + j)}`));
  lists.push(['trades.*']);
  return lists;
}

export async function soakScenario(options: SoakOptions): Promise<void> {
  const engines = options.engines ?? (existsSync(BASELINE_SERVER) ? ['tickflow', 'baseline'] : ['tickflow']);
  const rec = new ScenarioRecorder('soak', {
    minutes: options.minutes,
    offered_ticks_per_s: options.rate,
    symbols: SYMBOLS,
    subscribers: SUBSCRIBERS + 1,
    engines: engines.join(','),
    engine_args: (options.engineArgs ?? []).join(' '),
  });
  if (!engines.includes('baseline')) rec.note('the Node baseline did not run (not built, or not among --engines)');
  for (const engine of engines) await soakOne(rec, engine, options);
  rec.write();
}

async function soakOne(rec: ScenarioRecorder, engine: EngineKind, options: SoakOptions): Promise<void> {
  const rssByMinute: number[] = [];
  const result = await runSession({
    engine,
    engineArgs: engine === 'tickflow' ? options.engineArgs : [],
    connections: connections(),
    rate: options.rate,
    seconds: options.minutes * 60,
    symbols: SYMBOLS,
    measure: 'latency',
    intervalSeconds: 60,
    onSecond: (elapsed, rss) => {
      if (elapsed < 0) return;
      rssByMinute[Math.min(options.minutes - 1, Math.floor(elapsed / 60))] = rss;
    },
  });
  const minutes: Histogram[] = result.intervals.slice(0, options.minutes);
  minutes.forEach((histogram, i) => {
    rec.add(
      {
        name: `${engine} minute ${i + 1}`,
        settings: { engine, minute: i + 1 },
        throughput: options.rate,
        unit: 'ticks/s offered',
        rss_mb: rssByMinute[i] ?? NaN,
      },
      histogram,
    );
  });
  result.specific.add(result.wildcard);
  rec.add(
    {
      name: `${engine} whole run`,
      settings: { engine, minutes: options.minutes },
      throughput: options.rate,
      unit: 'ticks/s offered',
      cpu_percent: result.cpuPercent,
      rss_mb: result.rssMb,
      extra: {
        load_generator_cpu_percent: Math.round(result.clientCpuPercent),
        delivered: result.received,
        expected: expectedDeliveries(result.sent),
      },
    },
    result.specific,
  );
  const p99s = minutes.map((h) => summarize(h).p99_us);
  if (p99s.length === 0) return;
  const worst = p99s.indexOf(Math.max(...p99s));
  const typical = median(p99s);
  rec.note(
    `${engine}: worst minute's p99 / median minute's p99: ${((p99s[worst] as number) / typical).toFixed(2)} ` +
      `(minute ${worst + 1}: ${Math.round(p99s[worst] as number)} µs; median ${Math.round(typical)} µs)`,
  );
  rec.note(`${engine}: last-minute p99 / first-minute p99: ${((p99s.at(-1) as number) / (p99s[0] as number)).toFixed(2)}`);
  const growth = (from: number): string => {
    const a = rssByMinute[from - 1];
    const b = rssByMinute.at(-1);
    if (a === undefined || b === undefined) return 'not measured';
    return `${(((b - a) / a) * 100).toFixed(1)} % (${a} to ${b} MiB)`;
  };
  rec.note(`${engine}: RSS growth from the end of minute 1 to the end of minute ${minutes.length}: ${growth(1)}`);
  if (minutes.length > WINDOWS_FULL_MINUTE) {
    rec.note(
      `${engine}: RSS growth from the end of minute ${WINDOWS_FULL_MINUTE} (windows full) to the end of minute ` +
        `${minutes.length}: ${growth(WINDOWS_FULL_MINUTE)}`,
    );
  }
}
