// `tickflow replay --out-format fb` (docs/semantics.md, "FlatBuffers
// output"): a stream of size-prefixed FlatBuffers, one record each. A
// frame is a little-endian uint32 byte count, then that many bytes: a
// FlatBuffer whose root is a Bar, Indicator or Alert (fbs/records.fbs),
// named by its 4-byte file identifier, and last a ReplayStats. That is the
// layout FlatBuffers itself gives a size-prefixed buffer with an identifier,
// so any FlatBuffers runtime reads a frame with its size-prefixed root call;
// frames start at multiples of 8, so 8-byte fields stay aligned in a file
// read whole.
//
// The partitions already hand results on as FlatBuffers of those tables
// (without identifiers): writing a frame copies the record once, moving all
// but its root offset 4 bytes on to make room for the identifier. Every
// offset inside a FlatBuffer is relative to where it is stored, save the
// root offset, so only that one changes.

import { Builder, ByteBuffer } from 'flatbuffers';
import { Alert } from '../fb/generated/tickflow/fb/alert';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { Indicator } from '../fb/generated/tickflow/fb/indicator';
import { ReplayStats } from '../fb/generated/tickflow/fb/replay-stats';
import type { JsonBytes } from './json-bytes';
import type { StatsRecord } from './records';

/** File identifiers of the frames' root tables. */
export const FB_OUTPUT_IDENTIFIERS = { bar: 'TFBR', indicator: 'TFIN', alert: 'TFAL', stats: 'TFST' } as const;

export type FbOutputKind = keyof typeof FB_OUTPUT_IDENTIFIERS;

const identifierWord = (id: string): number =>
  (id.charCodeAt(0) | (id.charCodeAt(1) << 8) | (id.charCodeAt(2) << 16) | (id.charCodeAt(3) << 24)) >>> 0;

const WORDS = {
  bar: identifierWord(FB_OUTPUT_IDENTIFIERS.bar),
  indicator: identifierWord(FB_OUTPUT_IDENTIFIERS.indicator),
  alert: identifierWord(FB_OUTPUT_IDENTIFIERS.alert),
} as const;

const readUint32 = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)) >>> 0;

function writeUint32(out: JsonBytes, value: number): void {
  out.byte(value & 0xff);
  out.byte((value >>> 8) & 0xff);
  out.byte((value >>> 16) & 0xff);
  out.byte(value >>> 24);
}

/**
 * Appends the finished FlatBuffer at src[offset, offset + size) (a root Bar,
 * Indicator or Alert without an identifier) to `out` as one frame.
 */
export function writeFrame(out: JsonBytes, kind: Exclude<FbOutputKind, 'stats'>, src: Uint8Array, offset: number, size: number): void {
  // A finished buffer is padded to its largest alignment, so size % 8 is 0
  // when it holds 8-byte fields; otherwise 4 bytes of padding after the
  // identifier keep the next frame on a multiple of 8.
  const pad = size % 8 === 0 ? 0 : 4;
  writeUint32(out, size + 4 + pad);
  writeUint32(out, readUint32(src, offset) + 4 + pad);
  writeUint32(out, WORDS[kind]);
  if (pad !== 0) writeUint32(out, 0);
  out.bytes(src, offset + 4, offset + size);
}

/** The frame that ends the output: the stats record. */
export function statsFrame(stats: StatsRecord): Uint8Array {
  const b = new Builder(256);
  b.forceDefaults(true);
  const long = (n: number): bigint => BigInt(Math.round(n));
  b.finish(
    ReplayStats.createReplayStats(
      b,
      long(stats.accepted),
      long(stats.rejected),
      long(stats.duplicate),
      long(stats.late),
      long(stats.ticks),
      long(stats.bars),
      long(stats.indicators),
      long(stats.alerts),
      long(stats.corrections),
      long(stats.revisions),
      stats.partitions,
      stats.elapsed_ms,
      long(stats.ticks_per_second),
      long(stats.max_rss_mb),
    ),
    FB_OUTPUT_IDENTIFIERS.stats,
    true,
  );
  return b.asUint8Array();
}

/** One frame of FlatBuffers output, read in place. */
export type FbOutputFrame =
  | { readonly kind: 'bar'; readonly record: Bar; readonly at: number }
  | { readonly kind: 'indicator'; readonly record: Indicator; readonly at: number }
  | { readonly kind: 'alert'; readonly record: Alert; readonly at: number }
  | { readonly kind: 'stats'; readonly record: ReplayStats; readonly at: number };

/**
 * Reads FlatBuffers output (all of it, in memory) frame by frame. `at` is
 * where a frame's FlatBuffer starts, after its byte count. Throws on a
 * frame cut short or an identifier it does not know.
 */
export function* readFbOutput(bytes: Uint8Array): Generator<FbOutputFrame> {
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new Error(`FlatBuffers output: ${bytes.length - at} stray bytes at ${at}`);
    const size = readUint32(bytes, at);
    const start = at + 4;
    if (size < 8 || start + size > bytes.length) {
      throw new Error(`FlatBuffers output: the frame at ${at} says ${size} bytes, ${bytes.length - start} are left`);
    }
    const bb = new ByteBuffer(bytes.subarray(start, start + size));
    if (bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.bar)) yield { kind: 'bar', record: Bar.getRootAsBar(bb), at: start };
    else if (bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.indicator)) {
      yield { kind: 'indicator', record: Indicator.getRootAsIndicator(bb), at: start };
    } else if (bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.alert)) yield { kind: 'alert', record: Alert.getRootAsAlert(bb), at: start };
    else if (bb.__has_identifier(FB_OUTPUT_IDENTIFIERS.stats)) {
      yield { kind: 'stats', record: ReplayStats.getRootAsReplayStats(bb), at: start };
    } else {
      const id = Buffer.from(bytes.subarray(start + 4, start + 8)).toString('latin1');
      throw new Error(`FlatBuffers output: the frame at ${at} has the unknown identifier ${JSON.stringify(id)}`);
    }
    at = start + size;
  }
}
