// A fast path for the common NDJSON tick: one flat JSON object whose values
// are plain ASCII strings without escapes, numbers, true, false or null. It
// reads the tick's fields straight from the bytes into a reused object,
// giving exactly what JSON.parse would for the fields the validator reads;
// anything else (escapes, non-ASCII, nesting, a malformed number, trailing
// text) makes it give up, and the caller falls back to JSON.parse, so
// errors and edge cases keep one definition.
//
// Numbers: JSON.parse rounds correctly. With at most 15 significant digits
// the digits form an exact integer m < 2^53 and, for a decimal exponent e
// with |e| <= 22, 10^|e| is an exact double too, so m * 10^e or m / 10^-e is
// a single correctly rounded IEEE operation: the same double. Other numbers
// go through Number() on their text, which rounds correctly as well.

import { intern } from '../fb/fields';

/** The fields validateTick reads; undefined when absent, as on a parsed object. */
export class ScannedTick {
  symbol: unknown = undefined;
  event_type: unknown = undefined;
  timestamp: unknown = undefined;
  price: unknown = undefined;
  volume: unknown = undefined;
  bid: unknown = undefined;
  ask: unknown = undefined;
  exchange: unknown = undefined;
  seq: unknown = undefined;
  /** Not a tick field: set when the line is a control line ({"op": ...}). */
  op: unknown = undefined;

  reset(): void {
    this.symbol = undefined;
    this.event_type = undefined;
    this.timestamp = undefined;
    this.price = undefined;
    this.volume = undefined;
    this.bid = undefined;
    this.ask = undefined;
    this.exchange = undefined;
    this.seq = undefined;
    this.op = undefined;
  }
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const GAVE_UP = -1;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** The byte at i, or -1 at or past the end of the line. */
const at = (b: Uint8Array, i: number, end: number): number => (i < end ? (b[i] as number) : -1);

/**
 * An event_type value: the three valid names without hashing them (every
 * line has one), anything else interned as other strings are.
 */
function eventTypeName(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  const c = b[s];
  if (n === 5 && c === 0x54 && b[s + 1] === 0x52 && b[s + 2] === 0x41 && b[s + 3] === 0x44 && b[s + 4] === 0x45) return 'TRADE';
  if (n === 5 && c === 0x51 && b[s + 1] === 0x55 && b[s + 2] === 0x4f && b[s + 3] === 0x54 && b[s + 4] === 0x45) return 'QUOTE';
  if (n === 3 && c === 0x42 && b[s + 1] === 0x42 && b[s + 2] === 0x4f) return 'BBO';
  return intern(b, s, e);
}

/** Key ids: 0 unknown, then the ScannedTick fields. */
function keyId(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const c = b[s];
  if (n === 6 && c === 0x73 && b[s + 1] === 0x79 && b[s + 2] === 0x6d && b[s + 3] === 0x62 && b[s + 4] === 0x6f && b[s + 5] === 0x6c)
    return 1; // symbol
  if (
    n === 10 &&
    c === 0x65 &&
    b[s + 5] === 0x5f &&
    b[s + 6] === 0x74 &&
    b[s + 9] === 0x65 &&
    b[s + 1] === 0x76 &&
    b[s + 2] === 0x65 &&
    b[s + 3] === 0x6e &&
    b[s + 4] === 0x74 &&
    b[s + 7] === 0x79 &&
    b[s + 8] === 0x70
  )
    return 2; // event_type
  if (
    n === 9 &&
    c === 0x74 &&
    b[s + 1] === 0x69 &&
    b[s + 2] === 0x6d &&
    b[s + 3] === 0x65 &&
    b[s + 4] === 0x73 &&
    b[s + 5] === 0x74 &&
    b[s + 6] === 0x61 &&
    b[s + 7] === 0x6d &&
    b[s + 8] === 0x70
  )
    return 3; // timestamp
  if (n === 5 && c === 0x70 && b[s + 1] === 0x72 && b[s + 2] === 0x69 && b[s + 3] === 0x63 && b[s + 4] === 0x65) return 4; // price
  if (n === 6 && c === 0x76 && b[s + 1] === 0x6f && b[s + 2] === 0x6c && b[s + 3] === 0x75 && b[s + 4] === 0x6d && b[s + 5] === 0x65)
    return 5; // volume
  if (n === 3 && c === 0x62 && b[s + 1] === 0x69 && b[s + 2] === 0x64) return 6; // bid
  if (n === 3 && c === 0x61 && b[s + 1] === 0x73 && b[s + 2] === 0x6b) return 7; // ask
  if (
    n === 8 &&
    c === 0x65 &&
    b[s + 1] === 0x78 &&
    b[s + 2] === 0x63 &&
    b[s + 3] === 0x68 &&
    b[s + 4] === 0x61 &&
    b[s + 5] === 0x6e &&
    b[s + 6] === 0x67 &&
    b[s + 7] === 0x65
  )
    return 8; // exchange
  if (n === 3 && c === 0x73 && b[s + 1] === 0x65 && b[s + 2] === 0x71) return 9; // seq
  if (n === 2 && c === 0x6f && b[s + 1] === 0x70) return 10; // op
  return 0;
}

function assign(out: ScannedTick, key: number, value: unknown): void {
  switch (key) {
    case 1:
      out.symbol = value;
      break;
    case 2:
      out.event_type = value;
      break;
    case 3:
      out.timestamp = value;
      break;
    case 4:
      out.price = value;
      break;
    case 5:
      out.volume = value;
      break;
    case 6:
      out.bid = value;
      break;
    case 7:
      out.ask = value;
      break;
    case 8:
      out.exchange = value;
      break;
    case 9:
      out.seq = value;
      break;
    case 10:
      out.op = value;
      break;
    default:
      break;
  }
}

/** The end of a plain string starting after its opening quote, or GAVE_UP. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = b[i] as number;
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20 || c >= 0x80) return GAVE_UP;
  }
  return GAVE_UP;
}

let numberValue = 0;

/** Parses a JSON number at i into numberValue; returns the index after it, or GAVE_UP. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  const start = i;
  let negative = false;
  if (at(b, i, end) === 0x2d) {
    negative = true;
    i++;
  }
  if (i >= end || !isDigit(b[i] as number)) return GAVE_UP;
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  if (b[i] === 0x30) {
    i++;
    if (i < end && isDigit(b[i] as number)) return GAVE_UP; // leading zero
  } else {
    for (; i < end && isDigit(b[i] as number); i++) {
      mantissa = mantissa * 10 + ((b[i] as number) - 0x30);
      digits++;
    }
  }
  if (i < end && b[i] === 0x2e) {
    i++;
    if (i >= end || !isDigit(b[i] as number)) return GAVE_UP;
    for (; i < end && isDigit(b[i] as number); i++) {
      mantissa = mantissa * 10 + ((b[i] as number) - 0x30);
      if (mantissa > 0) digits++;
      exponent--;
    }
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let sign = 1;
    const c = at(b, i, end);
    if (c === 0x2b || c === 0x2d) {
      if (c === 0x2d) sign = -1;
      i++;
    }
    if (i >= end || !isDigit(b[i] as number)) return GAVE_UP;
    let e = 0;
    for (; i < end && isDigit(b[i] as number); i++) e = Math.min(e * 10 + ((b[i] as number) - 0x30), 100_000);
    exponent += sign * e;
  }
  if (digits <= 15 && exponent >= -22 && exponent <= 22) {
    const magnitude = exponent >= 0 ? mantissa * (POW10[exponent] as number) : mantissa / (POW10[-exponent] as number);
    numberValue = negative ? -magnitude : magnitude;
  } else {
    numberValue = Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1'));
  }
  return i;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(b[i] as number)) i++;
  return i;
}

/**
 * Scans b[start, end) as one flat JSON object into `out`; every read is
 * bounds-checked against `end`, so the bytes after the line never count. True when it
 * did, with `out` holding what JSON.parse would give for the tick fields;
 * false when the line needs the general parser.
 */
export function scanTick(b: Uint8Array, start: number, end: number, out: ScannedTick): boolean {
  out.reset();
  let i = skipSpace(b, start, end);
  if (at(b, i, end) !== 0x7b) return false;
  i = skipSpace(b, i + 1, end);
  if (at(b, i, end) === 0x7d) return skipSpace(b, i + 1, end) === end;
  for (;;) {
    if (at(b, i, end) !== QUOTE) return false;
    const keyEnd = stringEnd(b, i + 1, end);
    if (keyEnd === GAVE_UP) return false;
    const key = keyId(b, i + 1, keyEnd);
    i = skipSpace(b, keyEnd + 1, end);
    if (at(b, i, end) !== 0x3a) return false;
    i = skipSpace(b, i + 1, end);
    const c = at(b, i, end);
    if (c === QUOTE) {
      const valueEnd = stringEnd(b, i + 1, end);
      if (valueEnd === GAVE_UP) return false;
      if (key === 2) assign(out, key, eventTypeName(b, i + 1, valueEnd));
      else if (key !== 0) assign(out, key, intern(b, i + 1, valueEnd));
      i = valueEnd + 1;
    } else if (c === 0x2d || isDigit(c)) {
      i = scanNumber(b, i, end);
      if (i === GAVE_UP) return false;
      if (key !== 0) assign(out, key, numberValue);
    } else if (c === 0x74 && at(b, i + 1, end) === 0x72 && at(b, i + 2, end) === 0x75 && at(b, i + 3, end) === 0x65) {
      if (key !== 0) assign(out, key, true);
      i += 4;
    } else if (
      c === 0x66 &&
      at(b, i + 1, end) === 0x61 &&
      at(b, i + 2, end) === 0x6c &&
      at(b, i + 3, end) === 0x73 &&
      at(b, i + 4, end) === 0x65
    ) {
      if (key !== 0) assign(out, key, false);
      i += 5;
    } else if (c === 0x6e && at(b, i + 1, end) === 0x75 && at(b, i + 2, end) === 0x6c && at(b, i + 3, end) === 0x6c) {
      if (key !== 0) assign(out, key, null);
      i += 4;
    } else {
      return false;
    }
    i = skipSpace(b, i, end);
    const next = at(b, i, end);
    if (next === 0x2c) {
      i = skipSpace(b, i + 1, end);
      continue;
    }
    if (next === 0x7d) return skipSpace(b, i + 1, end) === end;
    return false;
  }
}
