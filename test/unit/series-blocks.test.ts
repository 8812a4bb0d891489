// The slabs small trailing series live in: blocks in use never overlap, a
// block comes zeroed however it was left, and slabs whose blocks all came
// back are let go.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeriesBlocks, type SeriesBlock } from '../../src/analytics/series-blocks';
import { seededRandom } from '../fixtures/seeded-random';

const COLUMNS = 7;
const CAPACITIES = [8, 16, 32, 64];

interface Held extends SeriesBlock {
  readonly capacity: number;
}

function doubles(capacity: number): number {
  return COLUMNS * (capacity + 1);
}

describe('series blocks', () => {
  it('hands out zeroed blocks that never overlap, reusing what comes back', () => {
    const random = seededRandom(11);
    const blocks = new SeriesBlocks(doubles);
    const held: Held[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (held.length > 0 && random() < 0.45) {
        const [block] = held.splice(Math.floor(random() * held.length), 1) as [Held];
        // Left dirty: the next taker must not see it.
        block.d.fill(step, block.base, block.base + doubles(block.capacity));
        blocks.give(block.capacity, block.d, block.base);
        continue;
      }
      const capacity = CAPACITIES[Math.floor(random() * CAPACITIES.length)] as number;
      const block = { ...blocks.take(capacity), capacity };
      const end = block.base + doubles(capacity);
      assert.ok(end <= block.d.length, `block inside its slab at step ${step}`);
      assert.ok(
        block.d.subarray(block.base, end).every((x) => x === 0),
        `zeroed block at step ${step}`,
      );
      for (const other of held) {
        if (other.d !== block.d) continue;
        const otherEnd = other.base + doubles(other.capacity);
        assert.ok(end <= other.base || otherEnd <= block.base, `blocks overlap at step ${step}`);
      }
      held.push(block);
    }
    assert.ok(held.length > 100, 'enough blocks in use at once to span slabs');
    const before = blocks.heldBytes;
    for (const block of held) blocks.give(block.capacity, block.d, block.base);
    // Every slab but the one still being carved is let go.
    assert.ok(blocks.heldBytes < before, `${blocks.heldBytes} bytes held after every block came back, ${before} before`);
    assert.ok(blocks.heldBytes <= 8 * (1 << 16), `at most one slab left: ${blocks.heldBytes} bytes`);
  });

  it('gives a buffer of its own past the largest class', () => {
    const blocks = new SeriesBlocks(doubles);
    const block = blocks.take(128);
    assert.equal(block.base, 0);
    assert.equal(block.d.length, doubles(128));
    blocks.give(128, block.d, block.base);
    assert.equal(blocks.heldBytes, 0);
  });
});
