// Everything tickflow knows about one symbol. It lives in exactly one
// partition worker and nothing else touches it.

import type { AnalyticsConfig } from './analytics-config';
import { ActivityBars } from './activity-bars';
import { doubles } from './doubles';
import { SeqMemory } from './seq-memory';
import { SettleQueue, SideClassifier, type Side, type SideListener } from './settlement';
import { SlidingIndicators } from './sliding-indicators';
import { TrailingSeries } from './trailing-series';
import { TumblingBars } from './tumbling-bars';

export class SymbolState implements SideListener {
  /** Newest accepted event time; -Infinity before the first tick. */
  maxTimestamp = -Infinity;
  /**
   * Ticks older than this are late. max timestamp - lateness, never moving
   * back; in `serve` it also advances with the clock while the symbol is quiet.
   */
  watermark = -Infinity;
  /**
   * The latest end of a window emitted final with at least one trade. Never
   * above the watermark; a watermark reset stops here, so no window is
   * finalised twice.
   */
  finalHorizon = -Infinity;
  /**
   * With corrections on: a tick stamped before this is late even within the
   * allowed lateness, because a flush let go of the windows it would revise.
   */
  correctionFloor = -Infinity;
  /**
   * No open bar or indicator window of the symbol ends before this: while
   * the watermark stays below it, moving the watermark closes nothing, and
   * the engine does not look (without corrections). -Infinity: not known.
   */
  nextClose = -Infinity;
  /** Processing time (ms) of the last accepted tick, for idle closing. */
  lastArrival = 0;
  /**
   * Incremental checkpoints (checkpoint-codec.ts): the id of the checkpoint
   * that last wrote this symbol's trailing series whole (0: none yet), and
   * how many have written them as deltas since.
   */
  checkpointBase = 0;
  deltasSinceBase = 0;
  /**
   * Non-zero while a checkpoint spread over several turns has yet to write
   * this symbol (its capture's number, checkpoint-capture.ts): the engine
   * has it written before anything changes it.
   */
  captureDue = 0;
  readonly seqs = new SeqMemory();
  readonly trades: TrailingSeries;
  readonly quotes: TrailingSeries;
  readonly bars: readonly TumblingBars[];
  /** Activity bars, by --intervals entry; empty when none is configured. */
  readonly activity: readonly ActivityBars[];
  /** Trades and quotes not yet settled (timestamp >= watermark), made on the first tick by queue(). */
  settling: SettleQueue | null = null;
  /** Trade-side classification as of the last settled tick. */
  readonly side = new SideClassifier();
  readonly indicators: SlidingIndicators;
  /** Event time of the last alert per anomaly type, for the cooldown. */
  readonly lastAlert = doubles(5, -Infinity);
  /**
   * The result sink's own per-symbol cache (the partition's encoder keeps
   * the name's UTF-8 and the bar templates here, rather than in maps by
   * symbol); null until the sink first needs it.
   */
  sinkCache: unknown = null;
  /** How long a tick waits to settle, about: the queue sizes itself by it. */
  private readonly latenessMs: number;

  /** `series`: the trailing series to carry on with (a restore that applies a delta to them), or fresh ones. */
  constructor(
    readonly id: number,
    readonly name: string,
    config: AnalyticsConfig,
    series?: { readonly trades: TrailingSeries; readonly quotes: TrailingSeries },
  ) {
    this.trades = series?.trades ?? new TrailingSeries();
    // The quote rules read only the mean spread.
    this.quotes = series?.quotes ?? new TrailingSeries(false);
    // Made by map(), at their length: an array pushed to holds room for 17.
    const intervals = config.intervals;
    this.bars = intervals.filter((entry) => entry.kind === 'time').map((entry) => new TumblingBars(entry.size, entry.label));
    this.activity = intervals
      .filter((entry) => entry.kind !== 'time')
      .map((entry) => new ActivityBars(entry.kind, entry.size, entry.label));
    this.indicators = new SlidingIndicators(config.indicatorWindowMs, config.indicatorSlideMs);
    this.latenessMs = config.latenessMs;
  }

  /** The settle queue, made on first use; the sides it classifies count into the open time bars. */
  queue(): SettleQueue {
    return (this.settling ??= new SettleQueue(this.side, this, this.latenessMs));
  }

  /**
   * Quiet (serve's idle closing moved the watermark): lets go of what the
   * symbol needs only while it trades, the settle queue once every tick in
   * it settled and the seq memories left empty. They are made again on its
   * next tick, as they were on its first.
   */
  shrinkIdle(): void {
    const queue = this.settling;
    if (queue !== null) {
      queue.letGo(this.watermark);
      if (queue.size === 0) this.settling = null;
    }
    this.seqs.dropEmpty();
  }

  /** A queued trade's side changed (or, with `before` 0, is counted for the first time): its open time bars count it. */
  countSide(ts: number, volume: number, before: Side, after: Side): void {
    for (const bars of this.bars) bars.changeSide(ts, volume, before, after);
  }
}
