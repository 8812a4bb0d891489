// Event time that cannot run away (SPEC §1): in `serve`, a tick stamped more
// than --max-future-ms ahead of the server's clock is rejected as `future`.
// Without this, one tick stamped in 2099 moves its symbol's watermark to
// 2099: every current tick of that symbol is then late, and its open windows
// close at once. `replay` has no clock and keeps the fixed timestamp range.
//
// Every source of `serve` (/ingest, the file, Kafka and synthetic sources)
// asks the guard before handing a tick to the engine. Rejections are counted
// (as dead letters with reason `future`) and logged, at most one line per
// LOG_EVERY_MS so that a feed with a wrong clock cannot flood the log.

import { Rejection } from '../../records/rejection';
import type { ValidTick } from '../../ingest/tick-validator';
import type { Logger } from '../../log';

const LOG_EVERY_MS = 10_000;

export class FutureGuard {
  /** Ticks rejected since start. */
  rejected = 0;
  private unlogged = 0;
  private lastLog = -Infinity;

  constructor(
    private readonly maxFutureMs: number,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Null when the tick may go on; else its rejection. */
  check(tick: ValidTick): Rejection | null {
    const now = this.clock();
    const ahead = tick.timestamp - now;
    if (ahead <= this.maxFutureMs) return null;
    this.rejected++;
    this.unlogged++;
    if (now - this.lastLog >= LOG_EVERY_MS) {
      this.log.warn('ticks stamped ahead of the server clock rejected as future', {
        count: this.unlogged,
        symbol: tick.symbol,
        timestamp: tick.timestamp,
        ahead_ms: ahead,
        max_future_ms: this.maxFutureMs,
      });
      this.unlogged = 0;
      this.lastLog = now;
    }
    return new Rejection(
      'future',
      'timestamp',
      `timestamp ${tick.timestamp} is ${ahead} ms ahead of the server clock; at most ${this.maxFutureMs} ms (--max-future-ms) is accepted`,
    );
  }
}
