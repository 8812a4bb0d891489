// Small byte arrays that live as long as their partition (a symbol's name in
// UTF-8, its bar templates), carved from shared slabs: a view each, where a
// Uint8Array of its own is also a buffer object and memory outside the heap,
// about 170 bytes more apiece across a large universe. Nothing carved is
// ever given back, so a slab is never let go.

/** Bytes per slab. */
const SLAB_BYTES = 64 * 1024;

export class ByteSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private used = 0;

  /** A copy of `bytes` in a slab (or in a buffer of its own, if larger than a slab). */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (length > SLAB_BYTES) return bytes.slice();
    if (this.used + length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const copy = this.slab.subarray(this.used, this.used + length);
    this.used += length;
    copy.set(bytes);
    return copy;
  }
}
