// A token bucket per connection: `rate` events per second on average, bursts
// up to `burst`. Refilled lazily from the clock on each take, so idle
// connections cost nothing.

export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `count` tokens if there are that many; false (and takes none) otherwise. */
  take(now: number, count = 1): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
