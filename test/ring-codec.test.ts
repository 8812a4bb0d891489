// The ingest hot path writes RingTicks from a template instead of through a
// FlatBuffers Builder: its bytes must be exactly the Builder's, and read back
// to the same fields, for any values.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TickFields } from '../src/analytics/tick-fields';
import { RingDecoder, RingEncoder, RingTickWriter } from '../src/partition/ring-codec';
import { seededRandom } from './fixtures/seeded-random';

function randomTick(random: () => number): TickFields {
  const t = new TickFields();
  t.symbolId = Math.floor(random() * 2 ** 32);
  t.exchangeId = Math.floor(random() * 1000);
  t.eventType = Math.floor(random() * 3);
  t.timestamp = 1_700_000_000_000 + Math.floor(random() * 1e10);
  t.price = random() < 0.2 ? 0 : random() * 10_000;
  t.volume = Math.floor(random() * 1e6);
  t.bid = random() < 0.5 ? 0 : random() * 100;
  t.ask = random() < 0.5 ? 0 : random() * 100;
  t.seq = random() < 0.3 ? -1 : Math.floor(random() * 2 ** 52);
  t.sourceLine = Math.floor(random() * 1e9);
  t.ingestTime = random() * 1e6;
  t.dequeueTime = random() * 1e6;
  t.emitTime = random() < 0.5 ? 0 : random() * 1e6;
  return t;
}

describe('RingTick template writer', () => {
  it('writes the same bytes as the FlatBuffers Builder, at any offset, and they read back', () => {
    const random = seededRandom(20261122);
    const encoder = new RingEncoder();
    const writer = new RingTickWriter();
    const bytes = new Uint8Array(new SharedArrayBuffer(4096));
    const view = new DataView(bytes.buffer);
    const decoder = new RingDecoder(bytes);
    for (let i = 0; i < 2000; i++) {
      const tick = randomTick(random);
      const at = 8 * Math.floor(random() * 400);
      bytes.fill(0xee);
      writer.write(bytes, view, at, tick);
      assert.deepEqual(bytes.subarray(at, at + writer.length), encoder.tick(tick), `tick ${i}`);
      assert.deepEqual({ ...decoder.tick(at, new TickFields()) }, { ...tick }, `tick ${i} read back`);
    }
  });
});
