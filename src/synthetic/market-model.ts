// Per-symbol market state: a price walk, quotes around it, trade sizes,
// event-time stamps and sequence numbers. State lives in typed arrays indexed
// by symbol, so a symbol costs no object of its own.
//
// The price is a geometric random walk reflected inside a band of ±BAND
// around an anchor that drifts with a small share of each step. Its step is
// scaled to the symbol's tick rate, so every symbol has the same volatility
// per second of event time (the busiest names move about a basis point a
// tick, quiet ones more) and crosses its band in about MIX_SECONDS.
//
// Why a band: a free walk at 1 bp a tick and 200 ticks a second drifts 3-4%
// in five minutes, and trends inside the engine's 5-minute alert window trip
// PRICE_SPIKE and COMBINED_ANOMALY hundreds of times a minute.
// A window holding many band crossings sees a roughly uniform spread of
// prices, whose z-scores stay under about 2 and whose range stays under the
// 2% volatility threshold, so the alerts of a generated feed come from its
// injected anomalies. Measured over 10 minutes at the default flags
// (`tickflow gen --duration 10m | tickflow replay -`): 12 PRICE_SPIKEs, all in
// the first 25 s while the windows fill, 143 COMBINED_ANOMALY and no
// HIGH_VOLATILITY; a free walk gave 2087, 1355 and 15. The warm-up spikes
// grow with --rate (about 750 in the first 20 s at --rate 20000).

import { NO_VENUE, EXCHANGES, type SymbolUniverse } from './symbol-universe';
import type { GenTick } from './gen-tick';

/** ±0.25% around the anchor. */
const BAND = Math.log(1.0025);
const MIX_SECONDS = 5;
/** Volatility of log price per square root of a second of event time. */
const SIGMA_PER_SQRT_SECOND = (2 * BAND) / Math.sqrt(MIX_SECONDS);
/** Largest step, in bands: one reflection is enough to stay inside. */
const MAX_STEP = BAND / 3;
/** The anchor's share of each step: it drifts about 0.08% in five minutes. */
const ANCHOR_SHARE = 0.02;
/** Share of a dual-listed symbol's ticks printed on its second venue. */
const SECOND_VENUE_SHARE = 0.3;

// Trade sizes: [cumulative probability, smallest size, sizes in the bucket, step].
// Mostly round lots of 100, some odd lots, a tail to 1500, and a rare 0
// (a correction print), which binary encoders must not drop.
const SIZES: ReadonlyArray<readonly [upTo: number, base: number, count: number, step: number]> = [
  [0.002, 0, 1, 0],
  [0.05, 1, 99, 1],
  [0.5, 100, 1, 0],
  [0.8, 200, 4, 100],
  [0.95, 600, 5, 100],
  [1, 1100, 5, 100],
];

function meanSize(): number {
  let mean = 0;
  let from = 0;
  for (const [upTo, base, count, step] of SIZES) {
    mean += (upTo - from) * (base + (step * (count - 1)) / 2);
    from = upTo;
  }
  return mean;
}

/** Mean of the trade-size distribution, the "normal volume" of a surge. */
export const MEAN_VOLUME = meanSize();

/** Price grid: cents, or 1/10000 below $1. Values are units / scale, the nearest double to the decimal. */
export function priceScale(price: number): number {
  return price >= 1 ? 100 : 10_000;
}

export function roundPrice(price: number): number {
  const scale = priceScale(price);
  return Math.max(1, Math.round(price * scale)) / scale;
}

export class MarketModel {
  private readonly logPrice: Float64Array;
  private readonly anchor: Float64Array;
  private readonly step: Float64Array;
  /** Newest timestamp of each symbol's in-order ticks; -Infinity before its first. */
  readonly newest: Float64Array;
  /** Last sequence number per (symbol, venue slot): [2i] listing venue, [2i + 1] second venue. */
  private readonly seqs: Float64Array;
  private readonly exchangeNames: string[];

  /** `ticksPerSecond`: the whole feed's rate, shared among symbols by weight. */
  constructor(
    private readonly universe: SymbolUniverse,
    ticksPerSecond: number,
  ) {
    const n = universe.size;
    this.logPrice = new Float64Array(n);
    this.anchor = new Float64Array(n);
    this.step = new Float64Array(n);
    this.newest = new Float64Array(n).fill(-Infinity);
    this.seqs = new Float64Array(2 * n);
    this.exchangeNames = [...EXCHANGES];
    let totalWeight = 0;
    for (let i = 0; i < n; i++) totalWeight += universe.weights[i] as number;
    for (let i = 0; i < n; i++) {
      const open = universe.openPrice[i] as number;
      this.logPrice[i] = Math.log(open);
      this.anchor[i] = this.logPrice[i] as number;
      const rate = (ticksPerSecond * (universe.weights[i] as number)) / totalWeight;
      this.step[i] = Math.min(MAX_STEP, SIGMA_PER_SQRT_SECOND / Math.sqrt(rate));
    }
  }

  /** Moves the walk of `sym` by `z` standard steps. */
  move(sym: number, z: number): void {
    const d = (this.step[sym] as number) * z;
    const anchor = (this.anchor[sym] as number) + d * ANCHOR_SHARE;
    let x = (this.logPrice[sym] as number) + d;
    if (x > anchor + BAND) x = 2 * (anchor + BAND) - x;
    else if (x < anchor - BAND) x = 2 * (anchor - BAND) - x;
    this.anchor[sym] = anchor;
    this.logPrice[sym] = x;
  }

  /** The current unrounded price. */
  price(sym: number): number {
    return Math.exp(this.logPrice[sym] as number);
  }

  /** Fills bid and ask around the price, `spreadBps` apart before rounding outwards to the grid. */
  quote(sym: number, spreadBps: number, out: GenTick): void {
    const mid = this.price(sym);
    const scale = priceScale(mid);
    const half = mid * spreadBps * 5e-5;
    const bid = Math.max(1, Math.floor((mid - half) * scale));
    let ask = Math.ceil((mid + half) * scale);
    if (ask <= bid) ask = bid + 1;
    out.bid = bid / scale;
    out.ask = ask / scale;
  }

  /** The symbol's typical spread in basis points, jittered by `u` in [0, 1) to ±25%. */
  spreadBps(sym: number, u: number): number {
    return (this.universe.spreadBps[sym] as number) * (0.75 + 0.5 * u);
  }

  /** The spread in basis points that is `factor` times the symbol's usual one, counting the tick floor. */
  blownSpreadBps(sym: number, factor: number): number {
    const mid = this.price(sym);
    const tickBps = 1e4 / (priceScale(mid) * mid);
    return Math.max(this.universe.spreadBps[sym] as number, tickBps) * factor;
  }

  /** The exchange `u` in [0, 1) picks among the symbol's venues, and its slot for nextSeq. */
  venueSlot(sym: number, u: number): number {
    return this.universe.secondary[sym] !== NO_VENUE && u < SECOND_VENUE_SHARE ? 1 : 0;
  }

  exchange(sym: number, slot: number): string {
    const venue = slot === 0 ? this.universe.primary[sym] : this.universe.secondary[sym];
    return this.exchangeNames[venue as number] as string;
  }

  nextSeq(sym: number, slot: number): number {
    const i = 2 * sym + slot;
    const seq = (this.seqs[i] as number) + 1;
    this.seqs[i] = seq;
    return seq;
  }

  /** The event time of an in-order tick of `sym` due at `nominal`: strictly after the symbol's last. */
  stamp(sym: number, nominal: number): number {
    const newest = this.newest[sym] as number;
    const ts = nominal > newest ? nominal : newest + 1;
    this.newest[sym] = ts;
    return ts;
  }
}

/** A trade size drawn by `u` in [0, 1). */
export function tradeSize(u: number): number {
  let from = 0;
  for (const [upTo, base, count, step] of SIZES) {
    if (u < upTo) return base + Math.floor(((u - from) / (upTo - from)) * count) * step;
    from = upTo;
  }
  return 100;
}
