// The output path's number formatting writes exactly String(x) for every
// double it takes on, and declines (leaving String(x) to the caller) only
// where it cannot be sure. Property tests over seeded random doubles of
// every shape output records carry, and the edges of each fast path.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digitCount, writeInteger, writeShortDecimal } from '../../src/records/decimal-digits';
import { JsonBytes } from '../../src/records/json-bytes';
import { seededRandom } from '../fixtures/seeded-random';

const buffer = new Uint8Array(64);

/** What writeShortDecimal wrote, or null when it declined. */
function shortDecimal(value: number): string | null {
  const end = writeShortDecimal(buffer, 3, value);
  return end < 0 ? null : Buffer.from(buffer.subarray(3, end)).toString('latin1');
}

function integerText(value: number): string {
  const end = writeInteger(buffer, 5, value);
  return Buffer.from(buffer.subarray(5, end)).toString('latin1');
}

/** A double from 64 random bits: every exponent and mantissa alike. */
function randomBits(random: () => number): number {
  const words = new Uint32Array([Math.floor(random() * 2 ** 32), Math.floor(random() * 2 ** 32)]);
  return new Float64Array(words.buffer)[0] as number;
}

/** Neighbours of x, `steps` ulps either way. */
function neighbours(x: number, steps: number): number[] {
  const f = new Float64Array(1);
  const bits = new BigInt64Array(f.buffer);
  f[0] = x;
  const at = bits[0] as bigint;
  const out: number[] = [];
  for (let i = -steps; i <= steps; i++) {
    bits[0] = at + BigInt(i);
    out.push(f[0] as number);
  }
  return out;
}

/** Doubles of the shapes records carry, and the edges of the fast paths. */
function samples(seed: number, count: number): number[] {
  const random = seededRandom(seed);
  const values: number[] = [
    0.1,
    0.2,
    0.3,
    0.1 + 0.2,
    1 / 3,
    2 / 3,
    121.1,
    7.11,
    11.01,
    100.25,
    -3.5,
    0.5,
    1e-6,
    1.5e-6,
    9.99e-7,
    1e-7,
    1e-5,
    123e-20,
    2 ** 50 - 0.5,
    2 ** 50 + 0.5,
    2 ** 49 + 0.25,
    2 ** 52 + 0.5,
    1e15 + 0.3,
    1e16,
    1e21,
    1.5e21,
    1e300,
    5e-324,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    Number.EPSILON,
    4.35,
    0.000001234,
    9.999999999999998,
    0.9999999999999999,
    1.0000000000000002,
  ];
  for (const edge of [1e-6, 1e-5, 2 ** 50, 1e15, 0.1, 1, 10, 100.1, 1e21]) values.push(...neighbours(edge, 4));
  for (let i = 0; i < count; i++) {
    // Prices: a few decimals, over many magnitudes.
    const decimals = Math.floor(random() * 9);
    const scale = 10 ** Math.floor(random() * 14 - 6);
    const price = Math.round(random() * scale * 10 ** decimals) / 10 ** decimals;
    // Results of arithmetic: means, ratios, z-scores.
    const computed = ((random() * 1000) / (1 + random() * 999)) * 10 ** Math.floor(random() * 20 - 10);
    values.push(price, -price, computed, -computed, randomBits(random), price + Number.EPSILON * price, price / 3);
  }
  return values;
}

describe('decimal digits', () => {
  it('writes every short decimal exactly as String(x), and declines nothing of up to 15 significant digits in range', () => {
    let taken = 0;
    for (const value of samples(17, 200_000)) {
      if (!Number.isFinite(value) || Number.isInteger(value)) continue;
      const text = shortDecimal(value);
      const expected = String(value);
      if (text !== null) {
        taken++;
        assert.equal(text, expected, `writeShortDecimal(${expected})`);
        continue;
      }
      // Declined: fine for exponent notation, outside [1e-6, 2^50), or with too many digits for the exact search.
      const digits = expected.replace(/^-?0?\.?0*/, '').replace('.', '').length;
      const inRange = Math.abs(value) >= 1e-6 && Math.abs(value) < 2 ** 50 && !expected.includes('e');
      const intDigits = Math.max(0, Math.floor(Math.log10(Math.abs(value))) + 1);
      const fraction = expected.length - expected.indexOf('.') - 1;
      assert.ok(
        !inRange || digits >= 15 || Math.abs(value) * 10 ** fraction >= 2 ** 49,
        `declined ${expected} (${intDigits} integer digits)`,
      );
    }
    assert.ok(taken > 300_000, `the fast path took ${taken} values`);
  });

  it('writes safe integers exactly as String(x), -0 as 0', () => {
    const random = seededRandom(18);
    const values = [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1704205800000, 2 ** 53 - 1, -(2 ** 53 - 1)];
    for (let p = 0; p < 16; p++) values.push(10 ** p, 10 ** p - 1, -(10 ** p));
    for (let i = 0; i < 100_000; i++) {
      values.push(Math.floor(random() * 2 ** Math.floor(random() * 54)) * (random() < 0.5 ? -1 : 1));
    }
    for (const value of values) {
      if (!Number.isSafeInteger(value)) continue;
      assert.equal(integerText(value), value === 0 ? '0' : String(value));
    }
    for (let p = 0; p < 16; p++) assert.equal(digitCount(10 ** p), p + 1);
  });

  it('JSON numbers of every double equal JSON.stringify, fast path or not', () => {
    const out = new JsonBytes(8);
    for (const value of samples(19, 50_000)) {
      assert.equal(out.reset().number(value).toString(), JSON.stringify(value), `number ${value}`);
    }
  });

  it('leaves numbers of 16 and 17 significant digits to String(x), and takes typical prices', () => {
    assert.equal(shortDecimal(0.1 + 0.2), null);
    assert.equal(shortDecimal(1 / 3), null);
    assert.equal(shortDecimal(121.1), '121.1');
    assert.equal(shortDecimal(-0.0025), '-0.0025');
    assert.equal(shortDecimal(1e-6 * 1.5), '0.0000015');
  });
});
