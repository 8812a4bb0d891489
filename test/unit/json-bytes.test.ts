// The byte-level JSON writer of the output path writes exactly the text
// JSON.stringify would for the same numbers and strings, however the buffer
// grows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonBytes } from '../../src/records/json-bytes';
import { seededRandom } from '../fixtures/seeded-random';

describe('JSON bytes', () => {
  it('writes every number as JSON.stringify does, and null where JSON has no number', () => {
    const random = seededRandom(5);
    const values = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99,
      100,
      1e15,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      2 ** 60,
      1e21,
      1e-7,
      0.1,
      100.25,
      -3.5,
      1.7e308,
      5e-324,
    ];
    for (let i = 0; i < 20_000; i++) {
      const scale = 10 ** Math.floor(random() * 30 - 10);
      const value = (random() - 0.5) * scale;
      values.push(value, Math.round(value), Math.round(value * 100) / 100);
    }
    const out = new JsonBytes(16);
    for (const value of values) {
      assert.equal(out.reset().number(value).toString(), JSON.stringify(value), `number ${value}`);
      assert.equal(out.reset().integer(Math.trunc(value)).toString(), JSON.stringify(Math.trunc(value)), `integer ${Math.trunc(value)}`);
    }
    for (const value of [NaN, Infinity, -Infinity, null]) assert.equal(out.reset().number(value).toString(), 'null');
  });

  it('quotes and escapes strings as JSON.stringify does', () => {
    const random = seededRandom(6);
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '😀', '\u2028', ':', '-'];
    const out = new JsonBytes(8);
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const length = Math.floor(random() * 40);
      // Half the strings plain ASCII (the fast path), half anything.
      const pick = random() < 0.5 ? 4 : alphabet.length;
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * pick)];
      assert.equal(out.reset().string(text).toString(), JSON.stringify(text));
    }
  });

  it('keeps every byte written as it grows, and its view is the text written so far', () => {
    const out = new JsonBytes(4);
    const parts: string[] = [];
    out.ascii('[');
    for (let i = 0; i < 3000; i++) {
      if (i > 0) out.ascii(',');
      out
        .ascii('{"n":')
        .number(i * 1.5)
        .ascii(',"s":')
        .string(`é${i}`)
        .ascii(',"b":')
        .boolean(i % 2 === 0)
        .ascii('}');
      parts.push(JSON.stringify({ n: i * 1.5, s: `é${i}`, b: i % 2 === 0 }));
    }
    out.ascii(']');
    const wanted = `[${parts.join(',')}]`;
    assert.equal(out.toString(), wanted);
    assert.deepEqual(Buffer.from(out.view()), Buffer.from(wanted, 'utf8'));
    // A view of a shorter length is of the same buffer, showing what is there now.
    out.reset().utf8('{"x":1}');
    assert.equal(Buffer.from(out.view()).toString('utf8'), '{"x":1}');
    const copy = new JsonBytes(2);
    copy.bytes(out.buffer, 1, out.length - 1);
    assert.equal(copy.toString(), '"x":1');
  });
});
