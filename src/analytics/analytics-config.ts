// The slice of the configuration the partition workers need. It crosses the
// thread boundary in workerData, so it is plain data.

import type { BarInterval } from '../config/bar-interval';
import type { Config } from '../config/load';

export interface AnalyticsConfig {
  /** Time and activity bars, in --intervals order. */
  readonly intervals: readonly BarInterval[];
  readonly latenessMs: number;
  /** Corrections: ticks up to this far behind the watermark revise final windows; 0 turns them off. */
  readonly allowedLatenessMs: number;
  /** Processing time before a quiet symbol's watermark follows the clock; 0 disables. */
  readonly idleCloseMs: number;
  /**
   * Live mode (`serve`): forming bars are emitted (final: false) at most once
   * per this many ms of processing time per bar; -1 disables them (replay).
   */
  readonly barUpdateMs: number;
  /** Live mode: echo every accepted tick for the trades/quotes channels. */
  readonly echoTicks: boolean;
  readonly alertWindowMs: number;
  readonly indicatorWindowMs: number;
  readonly indicatorSlideMs: number;
  readonly spikeZscore: number;
  readonly surgeRatio: number;
  readonly combinedZscore: number;
  readonly combinedRatio: number;
  readonly spreadRatio: number;
  readonly volatilityThreshold: number;
  readonly alertCooldownMs: number;
}

export function analyticsConfig(config: Config, live: boolean): AnalyticsConfig {
  return {
    intervals: config.intervals,
    latenessMs: config.latenessMs,
    allowedLatenessMs: config.allowedLatenessMs,
    idleCloseMs: live ? config.idleCloseMs : 0,
    barUpdateMs: live ? config.barUpdateMs : -1,
    echoTicks: live,
    alertWindowMs: config.alertWindow,
    indicatorWindowMs: config.indicatorWindow,
    indicatorSlideMs: config.indicatorSlide,
    spikeZscore: config.spikeZscore,
    surgeRatio: config.surgeRatio,
    combinedZscore: config.combinedZscore,
    combinedRatio: config.combinedRatio,
    spreadRatio: config.spreadRatio,
    volatilityThreshold: config.volatilityThreshold,
    alertCooldownMs: config.alertCooldownMs,
  };
}
