// The FIFO behind a publisher's backlog: order kept across drops and the
// compactions that keep its array from growing for ever.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from '../../src/serve/ws/fifo';

describe('fifo', () => {
  it('gives items back in the order they came, through drops of every size and compactions', () => {
    const fifo = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 1 + (round % 37) * 50; i++) fifo.push(next++);
      const take = Math.min(fifo.length, (round * 131) % 1500);
      for (let i = 0; i < take; i++) assert.equal(fifo.at(i), expected + i);
      fifo.drop(take);
      expected += take;
      assert.equal(fifo.length, next - expected);
      assert.equal(fifo.peek(), fifo.length === 0 ? undefined : expected);
    }
    fifo.drop(fifo.length);
    assert.equal(fifo.length, 0);
    assert.equal(fifo.peek(), undefined);
  });
});
