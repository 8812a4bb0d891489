// Live mode's forming-bar updates: a bar that changed is sent at most once
// per `--bar-update-ms` (its period), at the first call of due() at least a
// period after its last update.
//
// The bars waiting are filed by the millisecond they fall due, in a wheel
// of slots one millisecond each, so a call touches only the bars due by
// then. A list of every changed bar, scanned on each call, cost the
// event-loop thread about 16 ms a second at 10,000 trades/s over 500
// symbols (1,500 bars, most of them waiting out their period), in blocks of
// 15-20 µs once a millisecond (docs/benchmarks.md, "The bar family").

import type { SymbolState } from './symbol-state';
import type { BarWindow } from './bar-window';

/**
 * Bars that fall due in one millisecond, as parallel lists. Emptied by
 * count, not by length: a JS array cut to length 0 gives its storage back,
 * and growing it again on the next push was most of this file's garbage.
 * An emptied entry holds null, so that a slot keeps no quiet symbol's
 * windows alive after it let go of them.
 */
class Slot {
  readonly states: Array<SymbolState | null> = [];
  readonly labels: string[] = [];
  readonly bars: Array<BarWindow | null> = [];
  /** Each bar's epoch when filed: a window reset since (and perhaps another symbol's now) is passed over. */
  readonly epochs: number[] = [];
  count = 0;

  push(state: SymbolState, label: string, bar: BarWindow): void {
    this.states[this.count] = state;
    this.labels[this.count] = label;
    this.bars[this.count] = bar;
    this.epochs[this.count] = bar.epoch;
    this.count++;
  }
}

/** Entries a slot's lists keep past four times the count just sent. */
const SLOT_ROOM = 64;

export type SendForming = (state: SymbolState, label: string, bar: BarWindow) => void;

export class FormingSchedule {
  private readonly slots: Slot[];
  private readonly mask: number;
  /** Bars due before the first millisecond the wheel has still to look at (or before it first turned). */
  private overdue = new Slot();
  /** The spare list swapped in while one is being sent. */
  private spare = new Slot();
  /** The first millisecond not yet looked at; NaN before the first call of due(). */
  private cursor = NaN;

  constructor(private readonly periodMs: number) {
    let size = 1;
    // A bar is filed at most a period after the last call, so period + 2 slots never wrap onto a live one.
    while (size < periodMs + 2) size *= 2;
    this.slots = Array.from({ length: size }, () => new Slot());
    this.mask = size - 1;
  }

  /** Queues a forming update of a bar that changed, once until it is sent (BarWindow.dirty). */
  mark(state: SymbolState, label: string, bar: BarWindow): void {
    if (bar.dirty) return;
    bar.dirty = true;
    this.file(state, label, bar);
  }

  /** Sends every queued update that is due at `now` (processing ms); the rest wait. */
  due(now: number, send: SendForming): void {
    if (Number.isNaN(this.cursor)) this.cursor = now;
    const first = this.cursor;
    // Past a whole turn of the wheel, every slot is due once.
    const last = Math.min(now, first + this.mask);
    // Moved first, so that a bar not yet due is filed after now.
    if (now >= first) this.cursor = now + 1;
    this.drain(this.takeOverdue(), now, send);
    for (let t = first; t <= last; t++) {
      const index = t & this.mask;
      const slot = this.slots[index] as Slot;
      if (slot.count === 0) continue;
      this.slots[index] = this.spare;
      this.drain(slot, now, send);
      this.spare = slot;
    }
  }

  private takeOverdue(): Slot {
    const taken = this.overdue;
    this.overdue = this.spare;
    this.spare = taken;
    return taken;
  }

  /** Sends the due bars of `slot`, files again the ones not due, and empties it. */
  private drain(slot: Slot, now: number, send: SendForming): void {
    const { states, labels, bars, epochs, count } = slot;
    for (let i = 0; i < count; i++) {
      const bar = bars[i] as BarWindow;
      const state = states[i] as SymbolState;
      bars[i] = null;
      states[i] = null;
      // Sent final, or reset for a new window, since it was filed.
      if (!bar.dirty || bar.epoch !== epochs[i]) continue;
      if (now - bar.lastSentAt < this.periodMs) {
        this.file(state, labels[i] as string, bar);
        continue;
      }
      bar.dirty = false;
      bar.lastSentAt = now;
      send(state, labels[i] as string, bar);
    }
    slot.count = 0;
    // A burst (a backlog caught up on, every symbol's bars in one millisecond)
    // leaves a slot's lists long; kept at that length, a thousand slots could
    // each hold room for every bar of every symbol. Cut back well past the
    // usual count only, so steady traffic does not grow them again each time.
    if (bars.length > 4 * count + SLOT_ROOM) states.length = labels.length = bars.length = epochs.length = count;
  }

  private file(state: SymbolState, label: string, bar: BarWindow): void {
    const due = Math.ceil(bar.lastSentAt + this.periodMs);
    // Before the cursor (or the wheel has not turned yet): the next call sends it.
    if (!(due >= this.cursor)) this.overdue.push(state, label, bar);
    else (this.slots[Math.min(due, this.cursor + this.mask) & this.mask] as Slot).push(state, label, bar);
  }
}
