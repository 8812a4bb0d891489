// The framing of `--out-format fb`: a finished FlatBuffer moved into a
// size-prefixed frame with an identifier reads back the same, and frames
// stay on multiples of 8 whatever the alignment of the buffer.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Builder, ByteBuffer } from 'flatbuffers';
import { Indicator } from '../../src/fb/generated/tickflow/fb/indicator';
import { FB_OUTPUT_IDENTIFIERS, readFbOutput, statsFrame, writeFrame } from '../../src/records/fb-output';
import { JsonBytes } from '../../src/records/json-bytes';
import type { StatsRecord } from '../../src/records/records';

/** A finished buffer whose table has only 4-byte fields: its size is 4 more than a multiple of 8. */
function smallTable(value: number): Uint8Array {
  const b = new Builder(64);
  b.startObject(1);
  b.addFieldInt32(0, value, 0);
  b.finish(b.endObject());
  return b.asUint8Array();
}

function indicator(symbol: string, end: number): Uint8Array {
  const b = new Builder(128);
  const s = b.createString(symbol);
  b.finish(Indicator.createIndicator(b, s, BigInt(end - 300_000), BigInt(end), 101.25, 0.002, 17n, 3));
  return b.asUint8Array();
}

const STATS: StatsRecord = {
  type: 'stats',
  accepted: 10,
  rejected: 1,
  duplicate: 0,
  late: 2,
  ticks: 13,
  bars: 4,
  indicators: 1,
  alerts: 0,
  corrections: 1,
  revisions: 1,
  partitions: 2,
  elapsed_ms: 12.5,
  ticks_per_second: 1040,
  max_rss_mb: 80,
};

describe('FlatBuffers output frames', () => {
  it('reads back a record written at any offset of a ring, with its identifier', () => {
    const record = indicator('ABC', 1_704_205_800_000);
    const ring = new Uint8Array(record.length + 24);
    ring.set(record, 24);
    const out = new JsonBytes(16);
    writeFrame(out, 'indicator', ring, 24, record.length);
    const second = indicator('XYZW', 1_704_205_860_000);
    writeFrame(out, 'indicator', second, 0, second.length);
    const frames = [...readFbOutput(out.buffer.subarray(0, out.length))];
    assert.deepEqual(
      frames.map((f) => (f.kind === 'indicator' ? [f.record.symbol(), Number(f.record.windowEnd()), f.record.revision()] : null)),
      [
        ['ABC', 1_704_205_800_000, 3],
        ['XYZW', 1_704_205_860_000, 3],
      ],
    );
    assert.equal(out.length % 8, 0);
    // The identifier sits where FlatBuffers puts it in a size-prefixed buffer.
    const bb = new ByteBuffer(out.buffer.subarray(4, out.length));
    assert.ok(bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.indicator));
  });

  it('pads a buffer of 4-byte alignment so that the next frame starts on a multiple of 8', () => {
    const small = smallTable(0x1234567);
    assert.equal(small.length % 8, 4, 'the case under test');
    const out = new JsonBytes(16);
    writeFrame(out, 'alert', small, 0, small.length);
    assert.equal(out.length % 8, 0);
    const bb = new ByteBuffer(out.buffer.subarray(4, out.length));
    assert.ok(bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.alert));
    const table = bb.readUint32(0);
    assert.equal(bb.readInt32(table + bb.__offset(table, 4)), 0x1234567);
  });

  it('ends with a stats frame that holds the stats line', () => {
    const frames = [...readFbOutput(statsFrame(STATS))];
    assert.equal(frames.length, 1);
    const frame = frames[0];
    assert.ok(frame?.kind === 'stats');
    const s = frame.record;
    assert.deepEqual(
      [s.accepted(), s.rejected(), s.late(), s.ticks(), s.corrections(), s.partitions(), s.elapsedMs(), s.maxRssMb()],
      [10n, 1n, 2n, 13n, 1n, 2, 12.5, 80n],
    );
    assert.equal(statsFrame(STATS).length % 8, 0);
  });

  it('refuses an identifier it does not know', () => {
    const out = new JsonBytes(16);
    const record = indicator('ABC', 0);
    writeFrame(out, 'bar', record, 0, record.length);
    out.buffer[8] = 0x51;
    assert.throws(() => [...readFbOutput(out.buffer.subarray(0, out.length))], /unknown identifier "QFBR"/);
  });
});
