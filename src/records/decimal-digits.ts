// Decimal digits of numbers written straight into a byte buffer, for the JSON
// output path. String(x) costs 100-200 ns and a string per number; an output
// record has up to six of them (docs/benchmarks.md, "Replay output").
//
// The bytes are always those of String(x) (ECMAScript Number::toString: the
// fewest significant digits that read back as x). Two cases have fast paths
// here; every other number is left to the caller, which falls back to
// String(x):
// - safe integers (timestamps, volumes, counts), and
// - numbers with a short decimal form, as prices are: 121.1, 0.0025.
//
// Why the short-decimal path is exact. For x ≥ 1e-6 (String's fixed notation
// starts there) try d = 1, 2, ... fractional digits: m = round(x·10^d), and
// m / 10^d === x decides whether the decimal m·10^-d reads back as x (m and
// 10^d are exact doubles, and division rounds correctly, as parsing does).
// The search stops once x·10^d reaches 2^50. Below that bound an ulp of x,
// scaled by 10^d, is under 1/4, so at most one integer lies within half an
// ulp of x·10^d, and the rounding error of the product (at most 1/16) cannot
// move Math.round off it: if some d-digit decimal reads back as x, m is that
// decimal. So the first d that reads back gives the fewest fractional
// digits, hence the fewest significant digits, and it is the only candidate
// of that length, which is the one String(x) prints.

const ZERO = 0x30;
const POINT = 0x2e;
const MINUS = 0x2d;

/** 10^0 .. 10^22: every one exact as a double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Scaled values stay below this (see above). */
const SCALED_LIMIT = 2 ** 50;
/** String(x) switches to exponent notation below this. */
const FIXED_MIN = 1e-6;

/** Decimal digits of a non-negative integer below 2^53. */
export function digitCount(v: number): number {
  let n = 1;
  while (n < 16 && v >= (POW10[n] as number)) n++;
  return n;
}

/**
 * Writes digits of v (a non-negative integer below 2^53) ending just before
 * `end`, with a point `fraction` digits from the right when fraction > 0,
 * zeros after the point as needed and one digit at least before it.
 */
function writeDigitsBackwards(b: Uint8Array, end: number, v: number, fraction: number): void {
  let at = end;
  // Integer arithmetic below 2^31 is several times cheaper than Math.floor on doubles.
  while (v >= 2147483648) {
    const q = Math.floor(v / 10);
    b[--at] = ZERO + (v - q * 10);
    v = q;
    if (--fraction === 0) b[--at] = POINT;
  }
  let i = v | 0;
  while (fraction > 0) {
    const q = (i / 10) | 0;
    b[--at] = ZERO + (i - q * 10);
    i = q;
    if (--fraction === 0) b[--at] = POINT;
  }
  do {
    const q = (i / 10) | 0;
    b[--at] = ZERO + (i - q * 10);
    i = q;
  } while (i > 0);
}

/** A safe integer's digits at `at` (b has room for 17 bytes); returns the end. -0 is written "0", as String(-0). */
export function writeInteger(b: Uint8Array, at: number, value: number): number {
  if (value < 0) {
    b[at++] = MINUS;
    value = -value;
  }
  const end = at + digitCount(value);
  writeDigitsBackwards(b, end, value, 0);
  return end;
}

/**
 * A finite non-integer's shortest decimal at `at` when it has one with at
 * most about 15 significant digits in fixed notation (b has room for 24
 * bytes); returns the end, or -1 when the caller must use String(x).
 */
export function writeShortDecimal(b: Uint8Array, at: number, value: number): number {
  const x = value < 0 ? -value : value;
  if (!(x >= FIXED_MIN && x < SCALED_LIMIT)) return -1;
  for (let d = 1; d < POW10.length; d++) {
    const p = POW10[d] as number;
    const scaled = x * p;
    if (scaled >= SCALED_LIMIT) return -1;
    const m = Math.round(scaled);
    if (m / p !== x) continue;
    if (value < 0) b[at++] = MINUS;
    const digits = digitCount(m);
    // "0.00ddd" when m has no more digits than the fraction.
    const end = at + (digits > d ? digits + 1 : d + 2);
    writeDigitsBackwards(b, end, m, d);
    return end;
  }
  return -1;
}
