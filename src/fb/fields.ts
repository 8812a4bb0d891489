// Reading FlatBuffers table fields without the per-read garbage of the
// generated accessors: int64 fields as numbers instead of BigInts, and ASCII
// strings interned straight from the bytes instead of decoded anew. Ticks on
// input and result records on output repeat the same few strings (symbols,
// exchanges, intervals) many thousand times a second.

import type { ByteBuffer } from 'flatbuffers';

/**
 * The last string seen per hash slot is reused when the bytes match,
 * instead of decoding a new one per field. For ASCII bytes only (they are
 * decoded as Latin-1).
 */
const INTERN_SLOTS = 4096;
const internBytes: Array<Uint8Array | undefined> = new Array(INTERN_SLOTS);
const internStrings: string[] = new Array(INTERN_SLOTS).fill('');

export function intern(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  if (n > 32) return Buffer.from(b.buffer, b.byteOffset + s, n).toString('latin1');
  let h = n;
  for (let i = s; i < e; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const cached = internBytes[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cached[i] !== b[s + i]) {
        same = false;
        break;
      }
    }
    if (same) return internStrings[slot] as string;
  }
  const text = Buffer.from(b.buffer, b.byteOffset + s, n).toString('latin1');
  internBytes[slot] = Uint8Array.prototype.slice.call(b, s, e);
  internStrings[slot] = text;
  return text;
}

/** Where a string field's length word is (its UTF-8 bytes follow it), or -1 when the field is absent. */
export function stringAt(bb: ByteBuffer, pos: number, slot: number): number {
  const offset = bb.__offset(pos, slot);
  if (offset === 0) return -1;
  const at = pos + offset;
  return at + bb.readInt32(at);
}

/** A string field of the table at `pos`, or null; ASCII ones interned straight from the bytes. */
export function stringField(bb: ByteBuffer, pos: number, slot: number): string | null {
  const offset = bb.__offset(pos, slot);
  if (offset === 0) return null;
  let at = pos + offset;
  at += bb.readInt32(at);
  const length = bb.readInt32(at);
  const bytes = bb.bytes();
  const start = at + 4;
  for (let i = start; i < start + length; i++) {
    if ((bytes[i] as number) >= 0x80) return bb.__string(pos + offset) as string;
  }
  return intern(bytes, start, start + length);
}

/** An int64 field as a number (exact below 2^53, as Number(bigint) otherwise), or null. */
export function int64Field(bb: ByteBuffer, pos: number, slot: number): number | null {
  const offset = bb.__offset(pos, slot);
  if (offset === 0) return null;
  const high = bb.readInt32(pos + offset + 4);
  if (high >= -0x200000 && high < 0x200000) return high * 4294967296 + (bb.readInt32(pos + offset) >>> 0);
  return Number(bb.readInt64(pos + offset));
}

export function float64Field(bb: ByteBuffer, pos: number, slot: number): number | null {
  const offset = bb.__offset(pos, slot);
  return offset === 0 ? null : bb.readFloat64(pos + offset);
}
