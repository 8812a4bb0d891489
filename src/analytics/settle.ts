// Settling a symbol's trades and quotes once its watermark passes them (SPEC
// §1): each trade's side is classified (the quote rule, then the tick rule)
// and counted into its open time bars, and the trade goes into the activity
// bars, in settle order (settlement.ts).

import type { SymbolState } from './symbol-state';
import type { BarWindow } from './tumbling-bars';

/** Where settling hands the activity bars. */
export interface SettledBars {
  /** An activity bar reached its size: emit it final (then it starts over). */
  filled(state: SymbolState, label: string, bar: BarWindow): void;
  /** Live mode: an activity bar took a trade without filling; null when nothing forms. */
  readonly changed: ((state: SymbolState, label: string, bar: BarWindow) => void) | null;
}

/** Settles the symbol's pending trades and quotes stamped before `bound`. */
export function settle(state: SymbolState, bound: number, out: SettledBars): void {
  const settling = state.settling;
  if (settling === null) return;
  const count = settling.countBefore(bound);
  if (count === 0) return;
  const { ts, value, volume } = settling;
  const end = settling.head + count;
  for (let i = settling.head; i < end; i++) {
    const v = volume[i] as number;
    if (v < 0) state.side.quote(value[i] as number);
    else settleTrade(state, ts[i] as number, value[i] as number, v, out);
  }
  settling.drop(count);
}

function settleTrade(state: SymbolState, ts: number, price: number, volume: number, out: SettledBars): void {
  const side = state.side.trade(price);
  for (const bars of state.bars) bars.addSide(ts, side, volume);
  for (const activity of state.activity) {
    const bar = activity.bar;
    if (activity.add(ts, price, volume, side)) {
      out.filled(state, activity.label, bar);
      activity.next();
    } else {
      out.changed?.(state, activity.label, bar);
    }
  }
}
