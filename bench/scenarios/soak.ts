// soak: a publisher over 500 symbols and 100 + 1 `ws` subscribers (each on
// 5 symbols' trades, one on trades.*) at 50k ticks/s for ten minutes on one
// tickflow process; RSS and latency percentiles for every minute, RSS growth
// from the first to the last minute, and the last minute's p99 against the
// first's.

import { summarize } from '../hdr';
import { runSession } from '../load/session';
import { expectedDeliveries, symbolName } from '../load/ticks';
import { ScenarioRecorder } from '../results';

export interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
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
  const rec = new ScenarioRecorder('soak', {
    minutes: options.minutes,
    offered_ticks_per_s: options.rate,
    symbols: SYMBOLS,
    subscribers: SUBSCRIBERS + 1,
  });
  const rssByMinute: number[] = [];
  const result = await runSession({
    engine: 'tickflow',
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
  const minutes = result.intervals.slice(0, options.minutes);
  minutes.forEach((histogram, i) => {
    rec.add(
      {
        name: `minute ${i + 1}`,
        settings: { minute: i + 1 },
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
      name: 'whole run',
      settings: { minutes: options.minutes },
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
  const first = minutes[0];
  const last = minutes.at(-1);
  const rssFirst = rssByMinute[0];
  const rssLast = rssByMinute.at(-1);
  if (first !== undefined && last !== undefined && rssFirst !== undefined && rssLast !== undefined) {
    rec.note(
      `RSS growth from the end of minute 1 to the end of minute ${minutes.length}: ` +
        `${(((rssLast - rssFirst) / rssFirst) * 100).toFixed(1)} % (${rssFirst} to ${rssLast} MiB)`,
    );
    rec.note(`last-minute p99 / first-minute p99: ${(summarize(last).p99_us / summarize(first).p99_us).toFixed(2)}`);
  }
  rec.write();
}
