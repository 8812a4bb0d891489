// Where small trailing series keep their columns: blocks of shared
// Float64Array slabs, one block size per capacity class.
//
// A large universe is mostly symbols with a few entries in their windows.
// Each such series holding a Float64Array of its own cost a view, a buffer
// object and memory outside the heap (about 250 bytes before its first
// entry), and making one took 4 % of a worker replaying 50,000 symbols; the
// collector also had to sweep them when they went. A block costs its
// doubles and nothing else. Series past the largest class have buffers of
// their own.
//
// A block given back is reused by the next series of its class that needs
// one; a slab whose blocks are all given back is let go, so symbols that
// went quiet give their memory back in the end (all of it once every
// symbol of a slab is quiet).

/** Capacities (entries) served from slabs: a series grows through them, then has its own buffer. */
export const CLASSES: readonly number[] = [8, 16, 32, 64];
/** Doubles per slab. */
const SLAB_DOUBLES = 1 << 16;
const EMPTY = new Float64Array(0);

export interface SeriesBlock {
  readonly d: Float64Array<ArrayBuffer>;
  readonly base: number;
}

class Slab {
  /** Blocks carved so far end here. */
  used = 0;
  /** Blocks in use by a series. */
  live = 0;
  /** Given-back blocks by class: their bases. */
  readonly free: number[][] = CLASSES.map(() => []);
  /** In its class's list of slabs with free blocks. */
  readonly listed: boolean[] = CLASSES.map(() => false);

  constructor(public d: Float64Array<ArrayBuffer>) {}
}

export class SeriesBlocks {
  /** Doubles in a block, by class. */
  private readonly sizes: number[];
  /** Slabs that may hold a free block, by class (one found without any is dropped from the list then). */
  private readonly withFree: Slab[][] = CLASSES.map(() => []);
  private readonly slabs = new Map<Float64Array, Slab>();
  private current: Slab | null = null;

  /** `doublesFor`: the doubles a series of a given capacity needs. */
  constructor(private readonly doublesFor: (capacity: number) => number) {
    this.sizes = CLASSES.map(doublesFor);
  }

  /** Doubles a block of `capacity` entries takes. */
  doubles(capacity: number): number {
    return this.doublesFor(capacity);
  }

  /** Zeroed columns for `capacity` entries: from a slab for a class capacity, else a buffer of its own. */
  take(capacity: number): SeriesBlock {
    const index = CLASSES.indexOf(capacity);
    if (index < 0) return { d: new Float64Array(this.doublesFor(capacity)), base: 0 };
    const size = this.sizes[index] as number;
    const list = this.withFree[index] as Slab[];
    while (list.length > 0) {
      const slab = list[list.length - 1] as Slab;
      const base = (slab.free[index] as number[]).pop();
      if (base === undefined || slab.d === EMPTY) {
        list.pop();
        slab.listed[index] = false;
        continue;
      }
      slab.live++;
      slab.d.fill(0, base, base + size);
      return { d: slab.d, base };
    }
    let slab = this.current;
    if (slab === null || slab.used + size > slab.d.length) {
      slab = new Slab(new Float64Array(SLAB_DOUBLES));
      this.slabs.set(slab.d, slab);
      const previous = this.current;
      this.current = slab;
      if (previous !== null && previous.live === 0) this.drop(previous);
    }
    const base = slab.used;
    slab.used += size;
    slab.live++;
    return { d: slab.d, base };
  }

  /** Gives back a block that take() made (a buffer of its own is left to the collector). */
  give(capacity: number, d: Float64Array<ArrayBuffer>, base: number): void {
    const index = CLASSES.indexOf(capacity);
    if (index < 0) return;
    const slab = this.slabs.get(d) as Slab;
    slab.live--;
    if (slab.live === 0 && slab !== this.current) {
      this.drop(slab);
      return;
    }
    (slab.free[index] as number[]).push(base);
    if (!slab.listed[index]) {
      slab.listed[index] = true;
      (this.withFree[index] as Slab[]).push(slab);
    }
  }

  /** Bytes of slabs held, in use or not. */
  get heldBytes(): number {
    return this.slabs.size * SLAB_DOUBLES * 8;
  }

  /** Lets go of a slab with no block in use (the lists it is still in pass over it). */
  private drop(slab: Slab): void {
    this.slabs.delete(slab.d);
    slab.d = EMPTY;
    for (const free of slab.free) free.length = 0;
  }
}
