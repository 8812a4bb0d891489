// The live feed's queue: bounded, first in first out, and when full it makes
// room by dropping its oldest item, counted, so a stalled broker costs the
// stale end of the live data and never memory or a blocked event loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DropOldestQueue } from '../../src/kafka/drop-oldest-queue';

describe('drop-oldest queue', () => {
  it('gives items back oldest first, in takes of at most the size asked for', () => {
    const q = new DropOldestQueue<number>(4);
    for (const n of [1, 2, 3]) q.push(n);
    assert.deepEqual(q.take(2), [1, 2]);
    q.push(4);
    q.push(5);
    assert.equal(q.size, 3);
    assert.deepEqual(q.take(10), [3, 4, 5]);
    assert.deepEqual(q.take(10), []);
    assert.equal(q.dropped, 0);
  });

  it('drops the oldest items when full, counts them, and keeps the newest in order across the wrap', () => {
    const q = new DropOldestQueue<number>(3);
    for (let n = 1; n <= 8; n++) q.push(n);
    assert.equal(q.size, 3);
    assert.equal(q.dropped, 5);
    assert.deepEqual(q.take(3), [6, 7, 8]);
    q.push(9);
    assert.deepEqual(q.take(3), [9]);
  });

  it('counts what clear() drops', () => {
    const q = new DropOldestQueue<string>(5);
    q.push('a');
    q.push('b');
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(q.dropped, 2);
  });

  it('refuses a capacity below 1, naming it', () => {
    assert.throws(() => new DropOldestQueue(0), /capacity: expected an integer >= 1, got 0/);
    assert.throws(() => new DropOldestQueue(1.5), /capacity: expected an integer >= 1, got 1\.5/);
  });
});
