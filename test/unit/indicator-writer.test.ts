// The template indicator writer against the generated Builder: the same
// bytes, so every reader of an Indicator sees what it always saw.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { IndicatorWindow } from '../../src/analytics/sliding-indicators';
import { Indicator } from '../../src/fb/generated/tickflow/fb/indicator';
import { indicatorTemplate, writeIndicator } from '../../src/partition/indicator-writer';
import { TemplateMaker } from '../../src/partition/record-templates';

function builderIndicator(symbol: string, w: IndicatorWindow): Uint8Array {
  const b = new Builder(64);
  b.forceDefaults(true);
  const s = b.createString(symbol);
  b.finish(Indicator.createIndicator(b, s, BigInt(w.start), BigInt(w.end), w.mean, w.volatility, BigInt(w.count), w.revision));
  return b.asUint8Array().slice();
}

function window(start: number, count: number, mean: number, volatility: number, revision: number): IndicatorWindow {
  const w = new IndicatorWindow();
  Object.assign(w, { start, end: start + 300_000, count, mean, volatility, revision });
  return w;
}

describe('indicator writer', () => {
  // One maker for every case, as a partition has: AAPL and MSFT (names as
  // long) share a prototype, and MSFT's record must carry its own name.
  const maker = new TemplateMaker();
  const cases: Array<[string, IndicatorWindow]> = [
    ['AAPL', window(1_704_205_800_000, 12, 187.25, 0.0125, 0)],
    ['MSFT', window(1_704_205_830_000, 1, 401.5, 0, 3)],
    ['EURUSD:FX/spot', window(946_684_800_000, 2 ** 40, 1.0845, 1e-9, 2 ** 32 - 1)],
    ['X', window(4_102_444_740_000, 7, 3e6, 2.5, 1)],
  ];
  for (const [symbol, w] of cases) {
    it(`writes the Builder's bytes for ${symbol} (count ${w.count}, revision ${w.revision})`, () => {
      const template = indicatorTemplate(maker, new TextEncoder().encode(symbol));
      const bytes = new Uint8Array(template.bytes.length + 24);
      writeIndicator(template, bytes, new DataView(bytes.buffer), 24, w);
      const written = bytes.subarray(24);
      assert.deepEqual(written, builderIndicator(symbol, w));
      const read = Indicator.getRootAsIndicator(new ByteBuffer(written));
      assert.deepEqual(
        [read.symbol(), read.windowStart(), read.windowEnd(), read.ma(), read.volatility(), read.tradeCount(), read.revision()],
        [symbol, BigInt(w.start), BigInt(w.end), w.mean, w.volatility, BigInt(w.count), w.revision],
      );
    });
  }
});
