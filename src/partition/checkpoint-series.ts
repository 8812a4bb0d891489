// How a checkpoint writes a symbol's trailing series (checkpoint-codec.ts):
// whole, or as what changed since the checkpoint before, and which of the two
// a symbol's series take this time in the rotation of whole series. Apart
// from the codec because it is the incremental part, with the state it
// keeps per checkpoint (the entries left out, for the state's size) and per
// thread (the places in the rotation handed out).

import type { Builder } from 'flatbuffers';
import { doubleVector } from '../fb/bulk-vectors';
import { Series } from '../fb/generated/tickflow/ring/series';
import type { SymbolState } from '../analytics/symbol-state';
import type { TrailingSeries } from '../analytics/trailing-series';

/** Bytes a trailing entry takes in a checkpoint: timestamp, value and weight. */
const ENTRY_BYTES = 24;

/**
 * Places in the rotation handed out so far (in this thread): each symbol's
 * first whole series takes the next, so that as many symbols come round in
 * every checkpoint (a hash of the name gave some places several). Symbols
 * differ in activity, so the bytes still differ: docs/durability.md, "Costs".
 */
let phases = 0;

type Columns = { timestamps: Float64Array; values: Float64Array; weights: Float64Array };

/** The series of one checkpoint being encoded; `rotation` 0 writes them all whole. */
export class SeriesWriter {
  /** Whether some symbol's series went as deltas. */
  anyDelta = false;
  /** Entries held but left out (a delta's kept ones). */
  private unwritten = 0;

  constructor(private readonly rotation: number) {}

  /** Bytes the entries left out would have taken: with the checkpoint's own, the state's size written whole. */
  get unwrittenBytes(): number {
    return this.unwritten * ENTRY_BYTES;
  }

  /**
   * Whether this checkpoint writes the symbol's series as deltas (a rotation,
   * and a base to build on not yet due for a whole one); updates the symbol's
   * base id and count of deltas to what this checkpoint says.
   */
  takesDelta(state: SymbolState): boolean {
    const rotation = this.rotation;
    if (rotation > 0 && state.checkpointBase !== 0 && state.deltasSinceBase < rotation - 1) {
      state.deltasSinceBase++;
      this.anyDelta = true;
      return true;
    }
    // Ids only need to differ between the bases of one symbol: they count up,
    // and a restore carries the count on.
    const first = state.checkpointBase === 0;
    state.checkpointBase++;
    // The first whole series starts the symbol at its place in the rotation, so that later ones come spread out.
    state.deltasSinceBase = first && rotation > 0 ? phases++ % rotation : 0;
    return false;
  }

  /** Entries written whole (also the trades and quotes waiting to settle). */
  whole(b: Builder, series: { entries(): Columns }): number {
    const { timestamps, values, weights } = series.entries();
    return Series.createSeries(b, doubleVector(b, timestamps), doubleVector(b, values), doubleVector(b, weights), false, 0, 0);
  }

  /** A trailing series whole, or as what changed since the last checkpoint; either way the next delta counts from here. */
  trailing(b: Builder, series: TrailingSeries, delta: boolean): number {
    let offset: number;
    if (!delta) {
      offset = this.whole(b, series);
    } else {
      const d = series.delta();
      this.unwritten += series.size - d.timestamps.length;
      const columns = [doubleVector(b, d.timestamps), doubleVector(b, d.values), doubleVector(b, d.weights)] as const;
      offset = Series.createSeries(b, columns[0], columns[1], columns[2], true, d.evict, d.keep);
    }
    series.mark();
    return offset;
  }
}
