// Writes an Indicator (fbs/records.fbs) from its symbol's template
// (record-templates.ts): one shape, every field always written.

import type { Builder } from 'flatbuffers';
import type { IndicatorWindow } from '../analytics/sliding-indicators';
import { Indicator } from '../fb/generated/tickflow/fb/indicator';
import { setInt53, type RecordTemplate, type TemplateMaker } from './record-templates';

/** Indicator's fields in schema (slot) order. */
const WINDOW_START = 1;
const WINDOW_END = 2;
const MA = 3;
const VOLATILITY = 4;
const TRADE_COUNT = 5;
const REVISION = 6;
const FIELDS = 7;
const REQUIRED = [WINDOW_START, WINDOW_END, MA, VOLATILITY, TRADE_COUNT, REVISION];

function shape(b: Builder, symbol: number): number {
  return Indicator.createIndicator(b, symbol, 0n, 0n, 0, 0, 0n, 0);
}

/** The indicator template of the symbol named `name` (UTF-8). */
export function indicatorTemplate(maker: TemplateMaker, name: Uint8Array): RecordTemplate {
  return maker.make(name, 'indicator', shape, FIELDS, REQUIRED);
}

/**
 * Writes `w` at `at` in `bytes` (viewed by `view`); the caller has claimed
 * template.bytes.length bytes there. Window bounds are epoch milliseconds
 * and the trade count a count: integers below 2^53.
 */
export function writeIndicator(template: RecordTemplate, bytes: Uint8Array, view: DataView, at: number, w: IndicatorWindow): void {
  bytes.set(template.bytes, at);
  const p = template.pos;
  setInt53(view, at + (p[WINDOW_START] as number), w.start);
  setInt53(view, at + (p[WINDOW_END] as number), w.end);
  view.setFloat64(at + (p[MA] as number), w.mean, true);
  view.setFloat64(at + (p[VOLATILITY] as number), w.volatility, true);
  setInt53(view, at + (p[TRADE_COUNT] as number), w.count);
  view.setUint32(at + (p[REVISION] as number), w.revision, true);
}
