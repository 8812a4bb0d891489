// The synthetic feed: one record per call to next(), mixing trades, quotes
// and BBOs across the universe by activity weight, at nominal event time
// start + floor(i * 1000 / rate) for record i, with injected anomalies,
// duplicates, late ticks and malformed records at the configured rates.
//
// Rules the engine's bookkeeping relies on (and test/e2e/gen.test.ts checks):
// - In-order ticks (normal ones and anomalies) of a symbol have strictly
//   increasing timestamps; duplicates, late ticks and malformed records never
//   move a symbol's newest timestamp.
// - A duplicate repeats a tick that is still its symbol's newest, so it is at
//   the watermark whatever --lateness-ms is, and the engine still remembers
//   its seq: it is classified `duplicate`, never `late`.
// - A late tick is 30-120 s behind its symbol's newest timestamp, far past the
//   default 5 s lateness.
// - Every record, injections included, counts towards the total; an injection
//   that cannot apply yet (a duplicate before any tick) becomes a normal tick.
// - The random draws of a record do not depend on the output format (an
//   invalid record's flaw is chosen from one uniform number whatever the flaw
//   list), so every format carries the same valid ticks.

import { MIN_TIMESTAMP } from '../records/tick-rules';
import { FeedCounts } from './feed-counts';
import { applyFlaw, Flaw, flawNeedsQuote } from './flaw';
import { EventType, GenTick } from './gen-tick';
import { MarketModel, MEAN_VOLUME, roundPrice, tradeSize } from './market-model';
import { Prng } from './prng';
import { buildUniverse, type SymbolUniverse } from './symbol-universe';
import { WeightedPicker } from './weighted-picker';

export interface FeedOptions {
  readonly seed: number;
  readonly symbols: number;
  /** Records per second of event time. */
  readonly rate: number;
  /** Records to produce, injections included. */
  readonly total: number;
  /** Nominal event time of the first record, ms since the epoch. */
  readonly start: number;
  /** Share of in-order ticks that are trades. */
  readonly tradeRatio: number;
  readonly anomalyRate: number;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly invalidRate: number;
  /** Flaws the output format can carry (TEXT_FLAWS or SCHEMA_FLAWS). */
  readonly flaws: readonly Flaw[];
}

/** Share of non-trade ticks that are venue quotes rather than BBOs. */
const QUOTE_SHARE = 0.75;
/** Recent in-order ticks a duplicate may repeat. */
const RECENT = 8;
const LATE_MIN_MS = 30_000;
const LATE_MAX_MS = 120_000;

export class Feed {
  readonly universe: SymbolUniverse;
  readonly counts = new FeedCounts();
  private readonly prng: Prng;
  private readonly model: MarketModel;
  private readonly picker: WeightedPicker;
  private readonly tick = new GenTick();
  private readonly recent: GenTick[] = [];
  private recentHead = 0;
  private recentCount = 0;
  private lastSymbol = -1;
  private emitted = 0;
  // Cumulative thresholds of one uniform draw per record.
  private readonly anomalyUpTo: number;
  private readonly duplicateUpTo: number;
  private readonly lateUpTo: number;
  private readonly invalidUpTo: number;
  private readonly injecting: boolean;

  constructor(private readonly options: FeedOptions) {
    this.prng = new Prng(options.seed);
    this.universe = buildUniverse(options.symbols, this.prng);
    this.model = new MarketModel(this.universe, options.rate);
    this.picker = new WeightedPicker(this.universe.weights);
    this.anomalyUpTo = options.anomalyRate;
    this.duplicateUpTo = this.anomalyUpTo + options.duplicateRate;
    this.lateUpTo = this.duplicateUpTo + options.lateRate;
    this.invalidUpTo = this.lateUpTo + (options.flaws.length > 0 ? options.invalidRate : 0);
    this.injecting = this.invalidUpTo > 0;
    if (options.duplicateRate > 0) for (let i = 0; i < RECENT; i++) this.recent.push(new GenTick());
  }

  get total(): number {
    return this.options.total;
  }

  /** Records still to come. */
  get remaining(): number {
    return this.options.total - this.emitted;
  }

  /** The next record; the returned object is reused by the following call. */
  next(): GenTick {
    const o = this.options;
    const nominal = o.start + Math.floor((this.emitted * 1000) / o.rate);
    this.emitted++;
    this.counts.records++;
    if (this.injecting) {
      const u = this.prng.float();
      if (u < this.anomalyUpTo) {
        this.anomaly(nominal, u / this.anomalyUpTo);
        return this.tick;
      }
      if (u < this.duplicateUpTo) {
        if (this.duplicate()) return this.tick;
      } else if (u < this.lateUpTo) {
        if (this.late()) return this.tick;
      } else if (u < this.invalidUpTo) {
        this.invalid(nominal);
        return this.tick;
      }
    }
    this.normal(nominal);
    return this.tick;
  }

  private normal(nominal: number): void {
    const prng = this.prng;
    const model = this.model;
    const t = this.tick;
    const sym = this.picker.pick(prng.float());
    const slot = model.venueSlot(sym, prng.float());
    const kind = prng.float();
    model.move(sym, prng.gaussian());
    this.fill(sym, slot, model.stamp(sym, nominal));
    const tradeRatio = this.options.tradeRatio;
    if (kind < tradeRatio) {
      t.price = roundPrice(model.price(sym));
      t.volume = tradeSize(prng.float());
    } else {
      t.eventType = (kind - tradeRatio) / (1 - tradeRatio) < QUOTE_SHARE ? EventType.QUOTE : EventType.BBO;
      model.quote(sym, model.spreadBps(sym, prng.float()), t);
    }
    this.counts.normal++;
    this.remember(sym);
  }

  /** A price spike, volume surge or spread blow-out, chosen by `v` in [0, 1); the walk does not move. */
  private anomaly(nominal: number, v: number): void {
    const prng = this.prng;
    const model = this.model;
    const t = this.tick;
    const sym = this.picker.pick(prng.float());
    const slot = model.venueSlot(sym, prng.float());
    this.fill(sym, slot, model.stamp(sym, nominal));
    if (v < 1 / 3) {
      const away = prng.between(0.04, 0.1) * (prng.float() < 0.5 ? -1 : 1);
      t.price = roundPrice(model.price(sym) * (1 + away));
      t.volume = tradeSize(prng.float());
      this.counts.priceSpikes++;
    } else if (v < 2 / 3) {
      t.price = roundPrice(model.price(sym));
      t.volume = Math.round((MEAN_VOLUME * prng.between(20, 50)) / 100) * 100;
      this.counts.volumeSurges++;
    } else {
      t.eventType = EventType.QUOTE;
      model.quote(sym, model.blownSpreadBps(sym, prng.between(10, 20)), t);
      this.counts.spreadBlowouts++;
    }
    this.remember(sym);
  }

  /** Repeats a recent tick that is still its symbol's newest; false when there is none yet. */
  private duplicate(): boolean {
    if (this.recentCount === 0) return false;
    const newest = this.model.newest;
    for (let back = this.prng.below(this.recentCount); back >= 0; back--) {
      const candidate = this.recent[(this.recentHead - 1 - back + RECENT) % RECENT] as GenTick;
      if (newest[candidate.symbolIndex] === candidate.timestamp) {
        this.tick.copyFrom(candidate);
        this.counts.duplicates++;
        return true;
      }
    }
    return false;
  }

  /** A trade stamped far behind its symbol's newest tick; false when no symbol has ticked yet. */
  private late(): boolean {
    const prng = this.prng;
    const model = this.model;
    let sym = this.picker.pick(prng.float());
    if (model.newest[sym] === -Infinity) sym = this.lastSymbol;
    if (sym < 0) return false;
    const ts = (model.newest[sym] as number) - LATE_MIN_MS - prng.below(LATE_MAX_MS - LATE_MIN_MS + 1);
    if (ts < MIN_TIMESTAMP) return false;
    this.fill(sym, model.venueSlot(sym, prng.float()), ts);
    this.tick.price = roundPrice(model.price(sym));
    this.tick.volume = tradeSize(prng.float());
    this.counts.late++;
    return true;
  }

  private invalid(nominal: number): void {
    const prng = this.prng;
    const model = this.model;
    const t = this.tick;
    const sym = this.picker.pick(prng.float());
    const flaws = this.options.flaws;
    const flaw = flaws[Math.floor(prng.float() * flaws.length)] as Flaw;
    const size = tradeSize(prng.float());
    this.fill(sym, 0, nominal);
    if (flawNeedsQuote(flaw)) {
      t.eventType = EventType.QUOTE;
      model.quote(sym, model.spreadBps(sym, 0.5), t);
    } else {
      t.price = roundPrice(model.price(sym));
      t.volume = size;
    }
    applyFlaw(t, flaw);
    this.counts.addInvalid(flaw);
  }

  /** Starts a TRADE of `sym` with a fresh seq on venue `slot`; the caller fills prices. */
  private fill(sym: number, slot: number, timestamp: number): void {
    const t = this.tick;
    t.symbolIndex = sym;
    t.symbol = this.universe.names[sym] as string;
    t.eventType = EventType.TRADE;
    t.timestamp = timestamp;
    t.price = NaN;
    t.volume = NaN;
    t.bid = NaN;
    t.ask = NaN;
    t.exchange = this.model.exchange(sym, slot);
    t.seq = this.model.nextSeq(sym, slot);
    t.flaw = Flaw.NONE;
  }

  private remember(sym: number): void {
    this.lastSymbol = sym;
    if (this.recent.length === 0) return;
    (this.recent[this.recentHead] as GenTick).copyFrom(this.tick);
    this.recentHead = (this.recentHead + 1) % RECENT;
    if (this.recentCount < RECENT) this.recentCount++;
  }
}
