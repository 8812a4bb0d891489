// Turns the `gen` command's configuration into FeedOptions, checking what the
// per-option parsers cannot: probabilities above 1, injection rates that add
// up to more than one record, and feeds that run past the last valid
// timestamp. Messages follow src/config/load.ts: flag, value, expectation.

import { envName } from '../config/option';
import type { Loaded } from '../config/load';
import { ConfigError } from '../errors';
import { MAX_TIMESTAMP_EXCLUSIVE } from '../records/tick-rules';
import type { FeedOptions } from './feed';
import { flawsFor } from './encoders';

type RateKey = 'tradeRatio' | 'anomalyRate' | 'duplicateRate' | 'lateRate' | 'invalidRate';
const RATES: ReadonlyArray<readonly [RateKey, string]> = [
  ['tradeRatio', 'trade-ratio'],
  ['anomalyRate', 'anomaly-rate'],
  ['duplicateRate', 'duplicate-rate'],
  ['lateRate', 'late-rate'],
  ['invalidRate', 'invalid-rate'],
];

function source(loaded: Loaded, flag: string): string {
  const origin = loaded.origin[flag];
  if (origin === 'env') return ` (from ${envName(flag)})`;
  if (origin === 'file') return ' (from config file)';
  return '';
}

/** Records the configuration asks for: --count, else rate x duration. */
function recordCount(loaded: Loaded): number {
  const { count, rate, duration } = loaded.config;
  return count > 0 ? count : Math.floor((rate * duration) / 1000);
}

/** FeedOptions for a feed whose first record is at `start` (--start, or now with --realtime). */
export function feedOptions(loaded: Loaded, start: number): FeedOptions {
  const c = loaded.config;
  for (const [key, flag] of RATES) {
    if (c[key] > 1) throw new ConfigError(`invalid configuration: --${flag} = ${c[key]}${source(loaded, flag)}: expected a probability from 0 to 1`);
  }
  const injected = c.anomalyRate + c.duplicateRate + c.lateRate + c.invalidRate;
  // Rates that add up to exactly 1 in decimal may not in binary (0.1 + 0.2 + 0.3 + 0.4).
  if (injected > 1 + 1e-9) {
    throw new ConfigError(
      `invalid configuration: --anomaly-rate + --duplicate-rate + --late-rate + --invalid-rate = ${Number(injected.toPrecision(12))}: ` +
        'expected a total of at most 1 (each record is at most one injection)',
    );
  }
  const total = recordCount(loaded);
  const last = start + Math.floor((Math.max(0, total - 1) * 1000) / c.rate);
  if (last >= MAX_TIMESTAMP_EXCLUSIVE) {
    throw new ConfigError(
      `invalid configuration: --start = ${start}${source(loaded, 'start')}: ${total} records at --rate ${c.rate} would run to timestamp ${last}, ` +
        `past the last valid one (${MAX_TIMESTAMP_EXCLUSIVE - 1}); expected an earlier --start or a shorter feed`,
    );
  }
  return {
    seed: c.seed,
    symbols: c.symbols,
    rate: c.rate,
    total,
    start,
    tradeRatio: c.tradeRatio,
    anomalyRate: c.anomalyRate,
    duplicateRate: c.duplicateRate,
    lateRate: c.lateRate,
    invalidRate: c.invalidRate,
    flaws: flawsFor(c.genFormat),
  };
}
