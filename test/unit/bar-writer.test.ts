// The template bar writer against the generated Builder: the same bytes for
// every form of bar, so every reader of a Bar sees what it always saw.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { BarWindow } from '../../src/analytics/bar-window';
import { Bar } from '../../src/fb/generated/tickflow/fb/bar';
import { barTemplate, formOf, writeBar } from '../../src/partition/bar-writer';
import { TemplateMaker } from '../../src/partition/record-templates';

function builderBar(symbol: string, interval: string, bar: BarWindow, final: boolean): Uint8Array {
  const b = new Builder(64);
  b.forceDefaults(true);
  const s = b.createString(symbol);
  const l = b.createString(interval);
  Bar.startBar(b);
  Bar.addSymbol(b, s);
  Bar.addInterval(b, l);
  Bar.addWindowStart(b, BigInt(bar.start));
  Bar.addWindowEnd(b, BigInt(bar.end));
  Bar.addOpen(b, bar.open);
  Bar.addHigh(b, bar.high);
  Bar.addLow(b, bar.low);
  Bar.addClose(b, bar.close);
  Bar.addVolume(b, BigInt(bar.volume));
  const vwap = bar.vwap();
  if (vwap !== null) Bar.addVwap(b, vwap);
  Bar.addTradeCount(b, BigInt(bar.tradeCount));
  Bar.addFinal(b, final);
  if (bar.barIndex >= 0) {
    Bar.addBarIndex(b, BigInt(bar.barIndex));
    Bar.addComplete(b, final && bar.complete);
  }
  if (final) {
    Bar.addBuyVolume(b, BigInt(bar.buyVolume));
    Bar.addSellVolume(b, BigInt(bar.sellVolume));
    Bar.addBuyCount(b, BigInt(bar.buyCount));
    Bar.addSellCount(b, BigInt(bar.sellCount));
    Bar.addRevision(b, bar.revision);
  }
  b.finish(Bar.endBar(b));
  return b.asUint8Array().slice();
}

function bar(
  start: number,
  prices: number[],
  volumes: number[],
  activity?: { index: number; complete: boolean; revision: number },
): BarWindow {
  const w = new BarWindow();
  w.reset(start, start + 60_000, start + 1, prices[0] as number, volumes[0] as number);
  for (let i = 1; i < prices.length; i++) w.add(start + 1 + i, prices[i] as number, volumes[i] as number);
  volumes.forEach((volume, i) => w.addSide(i % 3 === 0 ? 1 : i % 3 === 1 ? -1 : 0, volume));
  if (activity !== undefined) {
    w.barIndex = activity.index;
    w.complete = activity.complete;
    w.revision = activity.revision;
  }
  return w;
}

describe('bar writer', () => {
  const cases: Array<[string, string, BarWindow, boolean]> = [
    ['AAPL', '1m', bar(1_704_205_800_000, [187.2, 190.5, 186.1, 188], [100, 2500, 1, 7]), true],
    ['BRK.B', '5m', bar(1_704_205_800_000, [401.25], [0]), false],
    ['X', '1s', bar(4_102_444_740_000, [1e-9, 3e6], [2 ** 53 - 2, 1]), true],
    ['EURUSD:FX/spot', '100ms', bar(946_684_800_000, [1.0845, 1.0846, 1.0844], [0, 0, 5]), false],
    ['AAPL', '500t', bar(1_704_205_800_000, [187.2, 190.5], [100, 2500], { index: 7, complete: true, revision: 0 }), true],
    ['AAPL', '100000v', bar(1_704_205_800_000, [187.2], [0], { index: 2 ** 40, complete: false, revision: 0 }), true],
    ['AAPL', '1000000n', bar(1_704_205_800_000, [187.2, 3], [5, 6], { index: 0, complete: false, revision: 0 }), false],
    ['MSFT', '1m', bar(1_704_205_800_000, [187.2, 3], [5, 6], { index: -1, complete: true, revision: 3 }), true],
  ];
  // One maker for every case, as a partition has: AAPL and MSFT (names as
  // long) share a prototype, and MSFT's template must carry its own name.
  const maker = new TemplateMaker();
  for (const [symbol, interval, window, final] of cases) {
    it(`writes the Builder's bytes for ${symbol} ${interval} (volume ${window.volume}, final ${final}, index ${window.barIndex})`, () => {
      const template = barTemplate(maker, new TextEncoder().encode(symbol), interval, formOf(window, final));
      const bytes = new Uint8Array(template.bytes.length + 16);
      writeBar(template, bytes, new DataView(bytes.buffer), 16, window, final);
      const written = bytes.subarray(16);
      assert.deepEqual(written, builderBar(symbol, interval, window, final));
      const read = Bar.getRootAsBar(new ByteBuffer(written));
      assert.deepEqual(
        [read.symbol(), read.interval(), read.volume(), read.tradeCount(), read.vwap(), read.final(), read.revision()],
        [symbol, interval, BigInt(window.volume), BigInt(window.tradeCount), window.vwap(), final, final ? window.revision : null],
      );
      assert.deepEqual(
        [read.barIndex(), read.complete(), read.buyVolume(), read.sellCount()],
        window.barIndex < 0
          ? [null, null, final ? BigInt(window.buyVolume) : null, final ? BigInt(window.sellCount) : null]
          : [
              BigInt(window.barIndex),
              final && window.complete,
              final ? BigInt(window.buyVolume) : null,
              final ? BigInt(window.sellCount) : null,
            ],
      );
    });
  }
});
