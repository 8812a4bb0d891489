// A checkpoint holds all of a symbol's state: an engine restored from one
// produces exactly what the original produces from there on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointExchanges, checkpointSymbols, encodeCheckpoint, restoreCheckpoint } from '../../src/partition/checkpoint-codec';
import { DEFAULT_ANALYTICS, EngineHarness } from '../fixtures/engine-harness';
import { diffRecords, type Row } from '../fixtures/compare';
import { validTicks } from '../fixtures/messy-stream';
import { ByteBuffer } from 'flatbuffers';
import type { Side } from '../../src/analytics/settlement';
import type { SymbolState } from '../../src/analytics/symbol-state';
import { PartitionCheckpoint } from '../../src/fb/generated/tickflow/ring/partition-checkpoint';
import { SymbolCheckpoint } from '../../src/fb/generated/tickflow/ring/symbol-checkpoint';

const CONFIGS = [
  { name: 'time bars', overrides: { alertCooldownMs: 2000 } },
  {
    name: 'activity bars and corrections',
    overrides: {
      alertCooldownMs: 2000,
      intervals: ['1s', '7t', '1m', '2500v', '400000n'],
      allowedLatenessMs: 3000,
      indicatorWindowMs: 10_000,
      indicatorSlideMs: 2000,
    },
  },
];

/** Takes the pending trades' sides out of their open bars (sign -1) or puts them back (sign 1). */
function countPendingSides(states: readonly SymbolState[], sign: 1 | -1): number {
  let counted = 0;
  for (const state of states) {
    if (state.settling === null) continue;
    state.settling.letGo(state.watermark);
    const { ts, volume, side } = state.settling.entries();
    for (let i = 0; i < ts.length; i++) {
      const s = side[i] as Side;
      if ((volume[i] as number) < 0 || s === 0) continue;
      if (sign < 0) state.countSide(ts[i] as number, volume[i] as number, s, 0);
      else state.countSide(ts[i] as number, volume[i] as number, 0, s);
      counted++;
    }
  }
  return counted;
}

/** Clears pending_sides_counted in every symbol of a checkpoint, as a checkpoint from before the field reads. */
function asOlderCheckpoint(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const checkpoint = PartitionCheckpoint.getRootAsPartitionCheckpoint(new ByteBuffer(copy));
  for (let i = 0; i < checkpoint.symbolsLength(); i++) {
    const symbol = checkpoint.symbols(i) as SymbolCheckpoint;
    const bb = symbol.bb as ByteBuffer;
    const field = bb.__offset(symbol.bb_pos, 40);
    assert.ok(field !== 0 && symbol.pendingSidesCounted());
    bb.writeInt8(symbol.bb_pos + field, 0);
    assert.equal(symbol.pendingSidesCounted(), false);
  }
  return copy;
}

describe('checkpoints', () => {
  const runs = [1, 2, 3, 4, 5, 6].map((seed) => [seed, CONFIGS[seed <= 3 ? 0 : 1] as (typeof CONFIGS)[1], false] as const);
  // Checkpoints written before the open bars counted pending trades' sides.
  const older = [2, 5].map((seed) => [seed, CONFIGS[seed <= 3 ? 0 : 1] as (typeof CONFIGS)[1], true] as const);
  for (const [seed, { name, overrides }, fromOlder] of [...runs, ...older]) {
    const what = fromOlder ? 'a checkpoint of the older format' : "every symbol's state exactly";
    it(`restore ${what}: the rest of the stream gives identical results (${name}, seed ${seed})`, () => {
      const ticks = validTicks(seed, 8000);
      const cut = Math.floor(ticks.length / 2);
      const original = new EngineHarness(overrides);
      for (const t of ticks.slice(0, cut)) original.push(t);

      const exchangeName = (id: number): string => original.exchangeName(id);
      let bytes: Uint8Array;
      if (fromOlder) {
        assert.ok(countPendingSides(original.engine.allSymbols(), -1) > 0, 'some pending trades must have a side');
        bytes = asOlderCheckpoint(encodeCheckpoint(original.engine.allSymbols(), exchangeName));
        countPendingSides(original.engine.allSymbols(), 1);
      } else {
        bytes = encodeCheckpoint(original.engine.allSymbols(), exchangeName);
      }
      assert.deepEqual(checkpointSymbols(bytes).sort(), ['AAA', 'BBB', 'CCC.X', 'DD/E', 'EEE']);
      assert.deepEqual(checkpointExchanges(bytes).sort(), ['', 'X', 'Y']);

      // Another process: different ids for the same names.
      const restored = new EngineHarness(overrides);
      restored.exchangeId('Y');
      for (const symbol of [...checkpointSymbols(bytes)].reverse()) restored.symbolId(symbol);
      const count = restoreCheckpoint(
        restored.engine,
        { ...DEFAULT_ANALYTICS, ...overrides, intervals: DEFAULT_ANALYTICS.intervals },
        bytes,
        (name) => restored.symbolId(name),
        (name) => restored.exchangeId(name),
      );
      assert.equal(count, 5);
      const mark = (h: EngineHarness): number[] => [h.bars.length, h.indicators.length, h.alerts.length, h.dropped.length];
      const before = mark(original);
      const restoredBefore = mark(restored);
      for (const t of ticks.slice(cut)) {
        original.push(t);
        restored.push(t);
      }
      original.flush();
      restored.flush();
      // The same records, in any order (flush walks symbols by id, and ids
      // differ between the processes); statistics agree to rounding, as the
      // restored trailing sums start from a new shift.
      const key = (r: Row): string =>
        `${String(r.type)}|${String(r.symbol)}|${String(r.interval ?? r.anomaly_type ?? '')}|` +
        `${String(r.bar_index ?? r.window_start ?? r.timestamp)}|${String(r.revision ?? '')}`;
      const after = (h: EngineHarness, from: number[]): Row[] =>
        [...h.bars.slice(from[0]), ...h.indicators.slice(from[1]), ...h.alerts.slice(from[2])] as unknown as Row[];
      assert.ok(original.bars.length > (before[0] ?? 0) && original.alerts.length > 0);
      if ('allowedLatenessMs' in overrides) {
        assert.ok(original.engine.counters.corrections > 0 && original.engine.counters.revisions > 0, 'the stream must revise windows');
        assert.ok(original.bars.some((b) => b.bar_index !== undefined && b.complete === true));
      }
      assert.deepEqual(diffRecords(after(restored, restoredBefore), after(original, before), key, 1e-9), []);
      assert.deepEqual(restored.dropped.slice(restoredBefore[3]), original.dropped.slice(before[3]));
    });
  }
});
