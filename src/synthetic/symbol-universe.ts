// The synthetic listing behind `tickflow gen`: N tickers with their venues,
// opening prices, quoted spreads and activity weights, all drawn from the seed
// before the first tick, so a seed names one market.

import type { Prng } from './prng';

/** Venue codes (ISO 10383 MICs), each well under the 16-character exchange limit. */
export const EXCHANGES = ['XNAS', 'XNYS', 'ARCX', 'BATS', 'EDGX', 'IEXG', 'MEMX'] as const;
/** `secondary` of a symbol quoted on its listing venue only. */
export const NO_VENUE = 255;

// Listing venues and their cumulative shares: most names list on Nasdaq or NYSE.
const LISTING: ReadonlyArray<readonly [venue: number, upTo: number]> = [
  [0, 0.5],
  [1, 0.85],
  [2, 0.93],
  [3, 1],
];
// Venues that also trade a listed name.
const SECONDARY: readonly number[] = [2, 3, 4, 5, 6];
const SECONDARY_SHARE = 0.6;
const NYSE = 1;

const MIN_OPEN = 5;
const MAX_OPEN = 500;
const MIN_SPREAD_BPS = 2;
const MAX_SPREAD_BPS = 6;
/** Zipf exponent of activity: the k-th busiest symbol trades 1/k as often as the busiest. */
const ZIPF = 1;
/** Name collisions tolerated at one length before the universe moves to longer names. */
const RETRIES_PER_LENGTH = 8;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export interface SymbolUniverse {
  readonly size: number;
  /** Distinct tickers of 3 or more uppercase letters; index 0 is the busiest. */
  readonly names: readonly string[];
  /** Listing venue of each symbol, an index into EXCHANGES. */
  readonly primary: Uint8Array;
  /** A second venue trading the symbol, or NO_VENUE. */
  readonly secondary: Uint8Array;
  /** Price at the start of the feed. */
  readonly openPrice: Float64Array;
  /** Typical quoted spread, in basis points of the price. */
  readonly spreadBps: Float64Array;
  /** Relative share of the feed's ticks. */
  readonly weights: Float64Array;
}

function listingVenue(u: number): number {
  for (const [venue, upTo] of LISTING) if (u < upTo) return venue;
  return 0;
}

function drawName(prng: Prng, length: number): string {
  // One draw covers up to six letters (26^6 < 2^32).
  let x = prng.below(26 ** Math.min(length, 6));
  let name = '';
  for (let i = 0; i < length; i++) {
    if (i === 6) x = prng.below(26 ** Math.min(length - 6, 6));
    name += LETTERS[x % 26];
    x = Math.floor(x / 26);
  }
  return name;
}

export function buildUniverse(size: number, prng: Prng): SymbolUniverse {
  const names: string[] = [];
  const taken = new Set<string>();
  const primary = new Uint8Array(size);
  const secondary = new Uint8Array(size).fill(NO_VENUE);
  const openPrice = new Float64Array(size);
  const spreadBps = new Float64Array(size);
  const weights = new Float64Array(size);
  // NYSE names are traditionally shorter; both lengths grow once crowded.
  const shapes = [
    { length: 4, collisions: 0 },
    { length: 3, collisions: 0 },
  ];

  for (let i = 0; i < size; i++) {
    const venue = listingVenue(prng.float());
    primary[i] = venue;
    if (prng.float() < SECONDARY_SHARE) {
      const j = prng.below(SECONDARY.length);
      const other = SECONDARY[j] as number;
      secondary[i] = other !== venue ? other : (SECONDARY[(j + 1) % SECONDARY.length] as number);
    }
    const shape = shapes[venue === NYSE ? 1 : 0] as { length: number; collisions: number };
    let name = drawName(prng, shape.length);
    while (taken.has(name)) {
      if (++shape.collisions > RETRIES_PER_LENGTH) {
        shape.length++;
        shape.collisions = 0;
      }
      name = drawName(prng, shape.length);
    }
    shape.collisions = 0;
    taken.add(name);
    names.push(name);
    openPrice[i] = MIN_OPEN * Math.exp(prng.float() * Math.log(MAX_OPEN / MIN_OPEN));
    spreadBps[i] = prng.between(MIN_SPREAD_BPS, MAX_SPREAD_BPS);
    weights[i] = 1 / (i + 1) ** ZIPF;
  }
  return { size, names, primary, secondary, openPrice, spreadBps, weights };
}
