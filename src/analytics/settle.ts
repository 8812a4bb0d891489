// Trade side and settling (SPEC §1). A trade's side counts into its open time
// bars as soon as it is queued, and again whenever an earlier tick arriving
// after it changes it (settlement.ts): the bars are the ones the trade has just
// gone into, not bars touched seconds ago. Settling, once the watermark passes
// a symbol's queued ticks, then only has to feed the activity bars, in settle
// order; without activity bars the queue lets go of settled ticks only when it
// needs the room.

import type { Side } from './settlement';
import type { SymbolState } from './symbol-state';
import type { BarWindow } from './bar-window';

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
  if (state.activity.length > 0) {
    const e = settling.e;
    const end = settling.head + count;
    for (let i = settling.head; i < end; i++) {
      const v = e[4 * i + 2] as number;
      if (v >= 0) settleTrade(state, e[4 * i] as number, e[4 * i + 1] as number, v, e[4 * i + 3] as Side, out);
    }
  }
  settling.drop(count);
}

function settleTrade(state: SymbolState, ts: number, price: number, volume: number, side: Side, out: SettledBars): void {
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
