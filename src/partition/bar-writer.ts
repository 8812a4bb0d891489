// Writes a Bar (fbs/records.fbs) straight into a ring without a Builder, as
// RingTickWriter does for ticks. Bars are the engine's most frequent result
// in `serve` (a forming update per bar every --bar-update-ms): built with the
// generated Builder they were the event loop's largest allocation in the
// live scenario at 10k ticks/s (int64 fields as BigInts, vtables, views),
// and, inline, its garbage collections were the trade latency's tail.
//
// A Bar's strings (symbol, interval) are the same for every bar of a symbol
// and interval, and its other fields are scalars, always written
// (forceDefaults). So each (symbol, interval) gets a template in the forms
// it needs (with or without vwap, for a zero volume; final, with trade side
// and revision, or forming; activity, with bar_index and complete, or
// time); a bar is the template copied, its values overwritten at positions
// read from the template's own vtable. Readers go through vtables, so the
// bytes need not match the Builder's, but they do (tested).
//
// Symbols whose names are as long in UTF-8 share a prototype per interval
// and form, built once by the Builder: a symbol's template is the prototype
// with its own name written over the prototype's, in a slab (byte-slab.ts),
// and the positions are the prototype's. A template of its own (Builder,
// buffer and position table) cost each of a large universe's symbols about
// 470 bytes per interval and 3 % of a replaying worker's time
// (docs/benchmarks.md, "State per symbol").

import { Builder } from 'flatbuffers';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { ByteSlab } from './byte-slab';
import type { BarWindow } from '../analytics/tumbling-bars';

/** Bar's fields in schema (slot) order. */
const SYMBOL = 0;
const WINDOW_START = 2;
const WINDOW_END = 3;
const OPEN = 4;
const HIGH = 5;
const LOW = 6;
const CLOSE = 7;
const VOLUME = 8;
const VWAP = 9;
const TRADE_COUNT = 10;
const FINAL = 11;
const BAR_INDEX = 12;
const COMPLETE = 13;
const BUY_VOLUME = 14;
const SELL_VOLUME = 15;
const BUY_COUNT = 16;
const SELL_COUNT = 17;
const REVISION = 18;
const FIELDS = 19;

/** Template forms: bits of what a bar carries beyond the fields every bar has. */
const WITH_VWAP = 1;
const FINAL_FORM = 2;
const ACTIVITY_FORM = 4;
/** Forms there are: every combination of the bits above. */
export const FORMS = 8;

const TWO_32 = 2 ** 32;
/** One form of one (symbol, interval)'s Bar: its bytes and where each scalar sits. */
export interface BarTemplate {
  readonly bytes: Uint8Array;
  /** Position of each field in `bytes`, by slot; -1 when absent from this form. */
  readonly pos: Int32Array;
}

/** A template built by the Builder, and where its symbol's name bytes sit. */
interface Prototype extends BarTemplate {
  readonly nameAt: number;
}

function buildPrototype(b: Builder, name: Uint8Array, interval: string, form: number): Prototype {
  b.clear();
  b.forceDefaults(true);
  const s = b.createString(name);
  const l = b.createString(interval);
  Bar.startBar(b);
  Bar.addSymbol(b, s);
  Bar.addInterval(b, l);
  Bar.addWindowStart(b, 0n);
  Bar.addWindowEnd(b, 0n);
  Bar.addOpen(b, 0);
  Bar.addHigh(b, 0);
  Bar.addLow(b, 0);
  Bar.addClose(b, 0);
  Bar.addVolume(b, 0n);
  if ((form & WITH_VWAP) !== 0) Bar.addVwap(b, 0);
  Bar.addTradeCount(b, 0n);
  Bar.addFinal(b, false);
  if ((form & ACTIVITY_FORM) !== 0) {
    Bar.addBarIndex(b, 0n);
    Bar.addComplete(b, false);
  }
  if ((form & FINAL_FORM) !== 0) {
    Bar.addBuyVolume(b, 0n);
    Bar.addSellVolume(b, 0n);
    Bar.addBuyCount(b, 0n);
    Bar.addSellCount(b, 0n);
    Bar.addRevision(b, 0);
  }
  b.finish(Bar.endBar(b));
  const bytes = b.asUint8Array().slice();
  const view = new DataView(bytes.buffer);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  const vtableFields = (view.getUint16(vtable, true) - 4) / 2;
  const pos = new Int32Array(FIELDS).fill(-1);
  for (let i = 0; i < Math.min(FIELDS, vtableFields); i++) {
    const offset = view.getUint16(vtable + 4 + 2 * i, true);
    if (offset !== 0) pos[i] = table + offset;
  }
  for (const slot of [SYMBOL, WINDOW_START, WINDOW_END, OPEN, HIGH, LOW, CLOSE, VOLUME, TRADE_COUNT, FINAL]) {
    if (pos[slot] === -1) throw new Error(`Bar field ${slot} missing from the template`);
  }
  // The symbol field is an offset to the string: its length, then its bytes.
  const symbol = pos[SYMBOL] as number;
  return { bytes, pos, nameAt: symbol + view.getUint32(symbol, true) + 4 };
}

/** Makes the bar templates of a partition's symbols. */
export class BarTemplateMaker {
  private readonly builder = new Builder(128);
  /** By interval, form and name length in bytes. */
  private readonly prototypes = new Map<string, Prototype>();

  /** `slab`: where templates are kept. */
  constructor(private readonly slab: ByteSlab = new ByteSlab()) {}

  /** The template of the symbol named `name` (UTF-8) for `interval`, in `form` (formOf()). */
  make(name: Uint8Array, interval: string, form: number): BarTemplate {
    const key = `${interval}\u0000${form}\u0000${name.length}`;
    let prototype = this.prototypes.get(key);
    if (prototype === undefined) {
      prototype = buildPrototype(this.builder, name, interval, form);
      this.prototypes.set(key, prototype);
    }
    const bytes = this.slab.copy(prototype.bytes);
    bytes.set(name, prototype.nameAt);
    return { bytes, pos: prototype.pos };
  }
}

/** An integer below 2^53 as a little-endian int64, without a BigInt. */
function setInt53(view: DataView, at: number, value: number): void {
  view.setUint32(at, (value % TWO_32) >>> 0, true);
  view.setInt32(at + 4, Math.floor(value / TWO_32), true);
}

/** The template form a bar needs: a small integer, below FORMS. */
export function formOf(bar: BarWindow, final: boolean): number {
  return (bar.volume > 0 ? WITH_VWAP : 0) | (final ? FINAL_FORM : 0) | (bar.barIndex >= 0 ? ACTIVITY_FORM : 0);
}

/**
 * Writes `bar` at `at` in `bytes` (viewed by `view`); the caller has claimed
 * template.bytes.length bytes there. The engine never lets a bar's volume
 * pass 2^53 - 1 or its notional pass the largest double
 * (PartitionEngine.overflow), so the volume is written exactly and the vwap
 * of a bar with volume is a finite number, never the null JSON makes of
 * Infinity.
 */
export function writeBar(template: BarTemplate, bytes: Uint8Array, view: DataView, at: number, bar: BarWindow, final: boolean): void {
  bytes.set(template.bytes, at);
  const p = template.pos;
  setInt53(view, at + (p[WINDOW_START] as number), bar.start);
  setInt53(view, at + (p[WINDOW_END] as number), bar.end);
  view.setFloat64(at + (p[OPEN] as number), bar.open, true);
  view.setFloat64(at + (p[HIGH] as number), bar.high, true);
  view.setFloat64(at + (p[LOW] as number), bar.low, true);
  view.setFloat64(at + (p[CLOSE] as number), bar.close, true);
  setInt53(view, at + (p[VOLUME] as number), bar.volume);
  const vwap = p[VWAP] as number;
  if (vwap >= 0) view.setFloat64(at + vwap, bar.notional / bar.volume, true);
  setInt53(view, at + (p[TRADE_COUNT] as number), bar.tradeCount);
  view.setUint8(at + (p[FINAL] as number), final ? 1 : 0);
  const index = p[BAR_INDEX] as number;
  if (index >= 0) {
    setInt53(view, at + index, bar.barIndex);
    view.setUint8(at + (p[COMPLETE] as number), bar.complete && final ? 1 : 0);
  }
  const buyVolume = p[BUY_VOLUME] as number;
  if (buyVolume >= 0) {
    setInt53(view, at + buyVolume, bar.buyVolume);
    setInt53(view, at + (p[SELL_VOLUME] as number), bar.sellVolume);
    setInt53(view, at + (p[BUY_COUNT] as number), bar.buyCount);
    setInt53(view, at + (p[SELL_COUNT] as number), bar.sellCount);
    view.setUint32(at + (p[REVISION] as number), bar.revision, true);
  }
}
