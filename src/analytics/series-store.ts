// Where a trailing series (trailing-series.ts) keeps its entries: one block
// (series-layout.ts) holding its columns and rows of prefix sums, and how
// the block makes room.
//
// Entries have logical indices, which only the series' rebuilds move (and
// with them the sums and their rounding). The block holds the logical
// indices from `off` on, a multiple of STEP: `cols` and `rows` are where
// logical index 0 and kept row 0 would be, so the series reads and writes
// `cols + index` wherever the block starts. When an entry reaches the end
// of the block, the entries move to its front (`off` moving up to the
// multiple of STEP at or before the first), keeping their indices; when
// that would leave less than a quarter
// of it free, they move to a block three eighths larger than they need.
// So a series whose window is full holds 1.33 to 1.4 times its entries,
// and its capacity follows them down as well as up, instead of being its
// rebuild limit (up to 2.7 times the entries, when the block was the
// limit's size).

import { CLASSES } from './series-blocks';
import { BEFORE_X, blocksFor, HEADER, NONE, STEP, STEP_SHIFT, X, type SeriesBlocks } from './series-layout';

/** Entries before the first rebuild. */
export const INITIAL_LIMIT = 64;
/** Capacities past the slabs' (series-blocks.ts) are rounded to this many entries. */
const ROUND = 8;

export abstract class SeriesStore {
  protected readonly blocks: SeriesBlocks;
  /** Numbers an entry takes (timestamp, x and, when weighted, v), and a kept row of sums. */
  protected readonly entryColumns: number;
  protected readonly sumColumns: number;
  /** The logical index where a rebuild moves the live entries back to 0. */
  protected limit = INITIAL_LIMIT;
  /** Entries the block's columns hold: 0 until the first entry. */
  protected capacity = 0;
  /** The block: `d` from `base`, its sums in the header. */
  protected d = NONE;
  protected base = 0;
  /** Where logical entry 0 of the timestamp column, and kept row 0, would be in `d`. */
  protected cols = 0;
  protected rows = 0;
  /** The logical index of the block's first entry slot (a multiple of STEP). */
  protected off = 0;
  /** The live entries: logical indices [start, end). */
  protected start = 0;
  protected end = 0;

  constructor(readonly weighted: boolean) {
    this.entryColumns = weighted ? 3 : 2;
    this.sumColumns = weighted ? 4 : 2;
    this.blocks = blocksFor(weighted);
  }

  get size(): number {
    return this.end - this.start;
  }

  /** Doubles the block holds (its header, columns and rows), for measuring. */
  get heldDoubles(): number {
    return this.capacity === 0 ? 0 : this.blocks.doubles(this.capacity);
  }

  /** A view of one column (timestamps, x or v) from index `from` to the end. */
  protected column(column: number, from: number): Float64Array {
    const at = this.cols + column * this.capacity;
    return this.d.subarray(at + from, at + this.end);
  }

  /** Room for an entry at `end` (below `limit`): the live entries move to the block's front, or to a larger block. */
  protected makeRoom(): void {
    const off = this.start & ~(STEP - 1);
    this.relocate(off, this.capacityFor(this.end - off, off), this.start);
  }

  /** The live entries to logical index 0 (for a rebuild, which sums them again). */
  protected moveToFront(): void {
    const live = this.end - this.start;
    this.relocate(0, this.capacityFor(live, 0), 0);
    this.start = 0;
    this.end = live;
  }

  /** An empty block with room for `count` entries from logical index 0, to load them into. */
  protected allocateFor(count: number): void {
    this.release();
    this.relocate(0, this.capacityFor(count, 0), 0);
  }

  /** Empty, holding no block; the next entry starts a small one. */
  protected release(): void {
    this.start = 0;
    this.end = 0;
    this.off = 0;
    if (this.capacity === 0) return;
    this.blocks.give(this.capacity, this.d, this.base);
    this.capacity = 0;
    this.base = this.cols = this.rows = 0;
    this.d = NONE;
  }

  /**
   * The capacity for `held` entries from logical `off`, with room for one
   * more: the block's own while a quarter of it stays free and it is at
   * most twice what they need, else room for three eighths more (never
   * past `limit`, where a rebuild moves them back to 0).
   */
  private capacityFor(held: number, off: number): number {
    const need = held + 1;
    const want = need + (need >> 2) + (need >> 3);
    let size = want;
    if (want <= (CLASSES[CLASSES.length - 1] as number)) {
      for (const small of CLASSES) {
        if (small >= want) {
          size = small;
          break;
        }
      }
    } else {
      size = Math.ceil(want / ROUND) * ROUND;
    }
    size = Math.max(need, Math.min(size, this.limit - off));
    const own = this.capacity;
    if (own - held >= own >> 2 && own > held && own <= 2 * size) return own;
    return size;
  }

  /**
   * Makes the block start at logical `off` with `capacity` entries (a new
   * block when the size changes), moving the live entries to logical
   * `to`: where they are, with their kept rows and the header's sums, or
   * to 0 for a rebuild, which sums them again.
   */
  private relocate(off: number, capacity: number, to: number): void {
    const { d: from, base: fromBase, capacity: fromCapacity, cols: fromCols, rows: fromRows, off: fromOff, start, end, sumColumns } = this;
    // What stays: the live entries, and for sums from a kept row, the entries from the block's new start.
    const first = to === start ? off : start;
    // A value change at the block's first entry compares it with the entry before.
    if (fromCapacity > 0 && to === start && off > fromOff) {
      from[fromBase + BEFORE_X] = from[fromCols + X * fromCapacity + off - 1] as number;
    }
    if (capacity !== fromCapacity) {
      const block = this.blocks.take(capacity);
      this.d = block.d;
      this.base = block.base;
      this.capacity = capacity;
      if (fromCapacity > 0) this.d.set(from.subarray(fromBase, fromBase + HEADER), this.base);
    }
    const d = this.d;
    const physical = this.base + HEADER;
    this.off = off;
    this.cols = physical - off;
    this.rows = physical + this.entryColumns * capacity - (off >> STEP_SHIFT) * sumColumns;
    if (fromCapacity > 0) {
      for (let column = 0; column < this.entryColumns; column++) {
        const source = fromCols + column * fromCapacity;
        move(from, source + first, source + end, d, this.cols + column * capacity + to - start + first);
      }
      if (to === start) {
        const row = off >> STEP_SHIFT;
        const last = end >> STEP_SHIFT;
        move(from, fromRows + row * sumColumns, fromRows + (last + 1) * sumColumns, d, this.rows + row * sumColumns);
      }
    }
    if (capacity !== fromCapacity && fromCapacity > 0) this.blocks.give(fromCapacity, from, fromBase);
  }
}

/** Copies `from[begin, end)` to `to[at...]`; within one array, as memmove does. */
function move(from: Float64Array, begin: number, end: number, to: Float64Array, at: number): void {
  if (end <= begin || (from === to && begin === at)) return;
  if (from === to) to.copyWithin(at, begin, end);
  else to.set(from.subarray(begin, end), at);
}
