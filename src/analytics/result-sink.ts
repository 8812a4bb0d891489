// What a partition's analytics hand on: the sink its results go to, and the
// counters it keeps. Apart from the engine so that its helpers (anomaly rules,
// settling) can take them without importing the engine.

import type { AlertFields } from '../records/anomaly';
import type { TickFields } from '../records/tick-fields';
import type { IndicatorWindow } from './sliding-indicators';
import type { SymbolState } from './symbol-state';
import type { BarWindow } from './bar-window';

/** Why the partition drops a validated tick: see docs/semantics.md. */
export type DropReason = 'duplicate' | 'late' | 'out_of_range';

/** Where the engine's results go. Arguments are reused: copy what you keep. */
export interface ResultSink {
  bar(symbol: SymbolState, label: string, bar: BarWindow, final: boolean): void;
  indicator(symbol: SymbolState, window: IndicatorWindow): void;
  alert(symbol: SymbolState, alert: AlertFields): void;
  /** `field`: the field at fault, or '' when none alone is. */
  dropped(symbol: SymbolState, reason: DropReason, message: string, tick: TickFields, field: string): void;
  /** Live mode only (echoTicks): every accepted tick, for the trades and quotes channels. */
  accepted(symbol: SymbolState, tick: TickFields): void;
  /** Live mode only: the tick just accepted was a correction. */
  corrected(symbol: SymbolState): void;
}

export class EngineCounters {
  accepted = 0;
  duplicate = 0;
  late = 0;
  /** Accepted ticks stamped behind their watermark, within --allowed-lateness-ms. */
  corrections = 0;
  /** Final records emitted again by corrections (revision >= 1). */
  revisions = 0;
  /** Trades refused as out_of_range: they would overflow a bar. */
  rejected = 0;
  bars = 0;
  indicators = 0;
  alerts = 0;
}
