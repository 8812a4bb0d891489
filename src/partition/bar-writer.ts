// Writes a Bar (fbs/records.fbs) from its symbol's template
// (record-templates.ts). Bars are the engine's most frequent result in
// `serve` (a forming update per bar every --bar-update-ms). A bar's template
// is per interval and form: with or without vwap, for a zero volume; final,
// with trade side and revision, or forming; activity, with bar_index and
// complete, or time.

import type { Builder } from 'flatbuffers';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { setInt53, type RecordTemplate, type TemplateMaker } from './record-templates';
import type { BarWindow } from '../analytics/bar-window';

/** Bar's fields in schema (slot) order. */
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

/** The fields every form has. */
const REQUIRED = [WINDOW_START, WINDOW_END, OPEN, HIGH, LOW, CLOSE, VOLUME, TRADE_COUNT, FINAL];

/** The template of the symbol named `name` (UTF-8) for `interval`, in `form` (formOf()). */
export function barTemplate(maker: TemplateMaker, name: Uint8Array, interval: string, form: number): RecordTemplate {
  const shape = (b: Builder, symbol: number): number => {
    const l = b.createString(interval);
    Bar.startBar(b);
    Bar.addSymbol(b, symbol);
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
    return Bar.endBar(b);
  };
  return maker.make(name, `bar\u0000${interval}\u0000${form}`, shape, FIELDS, REQUIRED);
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
export function writeBar(template: RecordTemplate, bytes: Uint8Array, view: DataView, at: number, bar: BarWindow, final: boolean): void {
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
