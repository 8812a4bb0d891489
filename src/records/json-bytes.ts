// JSON text written straight into a reused byte buffer, for the per-message
// output path of `serve`. Building each frame as a JavaScript string made
// several strings per message (the pieces, the joined text, its UTF-8 copy
// for every socket write), and at tens of thousands of messages a second
// they filled the young generation several times a second; the scavenges
// paused delivery. Here a message costs no allocation except the text of a
// fractional number that has no short decimal form (decimal-digits.ts).

import { writeInteger, writeShortDecimal } from './decimal-digits';

/** Reused views of one buffer, one per length, so a slice costs nothing. */
class Views {
  private readonly byLength: Array<Uint8Array | undefined> = [];

  constructor(readonly buffer: Buffer) {}

  of(length: number): Uint8Array {
    let view = this.byLength[length];
    if (view === undefined) {
      view = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, length);
      this.byLength[length] = view;
    }
    return view;
  }
}

/**
 * Copies src[start, end) to dst at `at`. A whole array goes through set(), a
 * memcpy; part of one through a loop, since a view to set() from would be
 * one more object per copy.
 */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  if (start === 0 && end === src.length) {
    dst.set(src, at);
    return;
  }
  for (let i = start; i < end; i++) dst[at++] = src[i] as number;
}

export class JsonBytes {
  buffer: Buffer;
  length = 0;
  private views: Views;

  constructor(capacity = 1024) {
    this.buffer = Buffer.allocUnsafeSlow(capacity);
    this.views = new Views(this.buffer);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  /** The bytes written so far, as a view that stays valid until the next write of the same length. */
  view(): Uint8Array {
    return this.views.of(this.length);
  }

  toString(): string {
    return this.buffer.toString('utf8', 0, this.length);
  }

  /** Text known to be ASCII (keys, names, validated symbols), written as is. */
  ascii(text: string): this {
    const n = text.length;
    this.reserve(n);
    const b = this.buffer;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = text.charCodeAt(i);
    this.length = at;
    return this;
  }

  /** Any text as UTF-8, unescaped (a JSON fragment given as text). */
  utf8(text: string): this {
    this.reserve(Buffer.byteLength(text, 'utf8'));
    this.length += this.buffer.write(text, this.length, 'utf8');
    return this;
  }

  /** Raw bytes, copied. */
  bytes(src: Uint8Array, start: number, end: number): this {
    this.reserve(end - start);
    copyBytes(src, start, end, this.buffer, this.length);
    this.length += end - start;
    return this;
  }

  /** A JSON string of text: quoted, and escaped where it needs it. */
  string(text: string): this {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return this.utf8(JSON.stringify(text));
    }
    this.reserve(text.length + 2);
    this.buffer[this.length++] = 0x22;
    this.ascii(text);
    this.buffer[this.length++] = 0x22;
    return this;
  }

  /** UTF-8 bytes src[start, end) as a JSON string; copied as they are when nothing in them needs escaping. */
  stringBytes(src: Uint8Array, start: number, end: number): this {
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
        return this.string(Buffer.from(src.buffer, src.byteOffset + start, end - start).toString('utf8'));
      }
    }
    this.reserve(end - start + 2);
    const b = this.buffer;
    let at = this.length;
    b[at++] = 0x22;
    for (let i = start; i < end; i++) b[at++] = src[i] as number;
    b[at++] = 0x22;
    this.length = at;
    return this;
  }

  /** One byte (a separator, a line feed). */
  byte(c: number): this {
    this.reserve(1);
    this.buffer[this.length++] = c;
    return this;
  }

  /** A JSON number; null for null and for anything non-finite. */
  number(value: number | null): this {
    if (value === null || !Number.isFinite(value)) return this.ascii('null');
    if (Number.isSafeInteger(value)) return this.integer(value); // -0 too: "0", as String(-0)
    this.reserve(24);
    const end = writeShortDecimal(this.buffer, this.length, value);
    if (end < 0) return this.ascii(String(value));
    this.length = end;
    return this;
  }

  /** An integer's decimal digits (past 2^53, its number text). */
  integer(value: number): this {
    if (!Number.isSafeInteger(value)) return this.ascii(String(value));
    this.reserve(17);
    this.length = writeInteger(this.buffer, this.length, value);
    return this;
  }

  boolean(value: boolean): this {
    return this.ascii(value ? 'true' : 'false');
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
    this.views = new Views(bigger);
  }
}
