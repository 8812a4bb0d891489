// Turns the `gen` command's configuration into FeedOptions, checking the one
// thing config/checks.ts cannot: that a feed starting now (--realtime) or at
// --start does not run past the last valid timestamp.

import { invalidOption } from '../config/invalid';
import type { Loaded } from '../config/load';
import { MAX_TIMESTAMP_EXCLUSIVE } from '../records/tick-rules';
import type { FeedOptions } from './feed';
import { flawsFor } from './encoders';

/** Records the configuration asks for: --count, else rate x duration. */
function recordCount(loaded: Loaded): number {
  const { count, rate, duration } = loaded.config;
  return count > 0 ? count : Math.floor((rate * duration) / 1000);
}

/** FeedOptions for a feed whose first record is at `start` (--start, or now with --realtime). */
export function feedOptions(loaded: Loaded, start: number): FeedOptions {
  const c = loaded.config;
  const total = recordCount(loaded);
  const last = start + Math.floor((Math.max(0, total - 1) * 1000) / c.rate);
  if (last >= MAX_TIMESTAMP_EXCLUSIVE) {
    throw invalidOption(
      'start',
      start,
      `an earlier --start or a shorter feed: ${total} records at --rate ${c.rate} would run to timestamp ${last}, past ` +
        `the last valid one (${MAX_TIMESTAMP_EXCLUSIVE - 1})`,
      loaded.origin.start,
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
