// The ingest hot path writes RingTicks from a template instead of through a
// FlatBuffers Builder, and the worker reads that layout at fixed positions:
// the bytes must be exactly the Builder's and read back to the same fields,
// for any values, and a RingTick of any other layout must still read right.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder } from 'flatbuffers';
import { TickFields } from '../../src/records/tick-fields';
import { RingTick } from '../../src/fb/generated/tickflow/ring/ring-tick';
import { RingDecoder, RingEncoder, RingTickWriter } from '../../src/partition/ring-codec';
import { seededRandom } from '../fixtures/seeded-random';

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
  t.origin = Math.floor(random() * 1e9);
  t.ingestTime = random() * 1e6;
  t.dequeueTime = random() * 1e6;
  t.emitTime = random() < 0.5 ? 0 : random() * 1e6;
  return t;
}

describe('RingTick template writer', () => {
  it('reads a RingTick of another layout (defaults left out) through the generated accessors', () => {
    const random = seededRandom(9);
    const bytes = new Uint8Array(new SharedArrayBuffer(4096));
    const decoder = new RingDecoder(bytes);
    for (let i = 0; i < 500; i++) {
      const tick = randomTick(random);
      if (random() < 0.5) tick.exchangeId = 0;
      if (random() < 0.5) tick.emitTime = 0;
      const b = new Builder(256);
      RingTick.startRingTick(b);
      RingTick.addSymbolId(b, tick.symbolId);
      RingTick.addExchangeId(b, tick.exchangeId);
      RingTick.addEventType(b, tick.eventType);
      RingTick.addTimestamp(b, tick.timestamp);
      RingTick.addPrice(b, tick.price);
      RingTick.addVolume(b, tick.volume);
      RingTick.addBid(b, tick.bid);
      RingTick.addAsk(b, tick.ask);
      RingTick.addSeq(b, tick.seq);
      RingTick.addOrigin(b, tick.origin);
      RingTick.addIngestTime(b, tick.ingestTime);
      RingTick.addDequeueTime(b, tick.dequeueTime);
      RingTick.addEmitTime(b, tick.emitTime);
      b.finish(RingTick.endRingTick(b));
      const at = 8 * Math.floor(random() * 400);
      bytes.set(b.asUint8Array(), at);
      assert.deepEqual({ ...decoder.tick(at, new TickFields()) }, { ...tick }, `tick ${i}`);
    }
  });

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
