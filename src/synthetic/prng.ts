// The generator's only source of randomness: a seeded 32-bit PRNG, so the
// same seed and flags give the same bytes on every machine and Node version
// (Math.random is neither seedable nor specified).
//
// The core is Chris Doty-Humphrey's SFC32 ("small fast counting") design:
// four 32-bit words, a counter that guarantees a period of at least 2^32, and
// only adds, xors and shifts, which V8 keeps in int32 registers. The seed is
// spread over the state with a splitmix-style mixer so that neighbouring seeds
// (1, 2, 3) start far apart.

const TWO_POW_32 = 4294967296;
// Irwin-Hall of four uniform bytes: mean 4 * 127.5, variance 4 * (256^2 - 1) / 12.
const BYTES_MEAN = 510;
const BYTES_SD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    // The first outputs of a freshly seeded SFC still correlate with the seed.
    for (let i = 0; i < 16; i++) this.uint32();
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A uniform number in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /**
   * An approximately standard normal number from one draw: the sum of its four
   * bytes, centred and scaled. Its tails stop at about ±3.45, which suits a
   * price walk: no step is ever an accidental anomaly.
   */
  gaussian(): number {
    const x = this.uint32();
    const sum = (x & 0xff) + ((x >>> 8) & 0xff) + ((x >>> 16) & 0xff) + (x >>> 24);
    return (sum - BYTES_MEAN) / BYTES_SD;
  }
}
