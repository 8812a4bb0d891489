// Tumbling, epoch-aligned OHLCV bars of one symbol and one interval. Windows
// open on their first trade and close when the symbol's watermark reaches
// their end (or on flush); only a handful are open at once (lateness/interval + 1).
// With corrections on (--allowed-lateness-ms), a final window is kept until
// no correction can reach it any more (its end at or below the horizon,
// watermark - allowed lateness), so a correction can revise it.

import { BarWindow, type BarFields } from './bar-window';

export type BarListener = (bar: BarWindow, final: boolean) => void;

/** Spare windows, shared by every symbol of the thread, up to this many. */
const SPARES = 4096;
const spares: BarWindow[] = [];

function spare(): BarWindow {
  return spares.pop() ?? new BarWindow();
}

function giveBack(bar: BarWindow): void {
  bar.prev = bar.next = null;
  bar.dirty = false;
  if (spares.length < SPARES) spares.push(bar);
}

/**
 * A symbol's windows of one interval, in ascending start order, as a list
 * linked through the windows themselves. A handful at most are open at once,
 * and a large universe has three or more lists per symbol: JS arrays (three
 * per interval, each 17 slots once pushed to) cost a symbol about 650 bytes
 * at 50,000 symbols, where two links a window cost nothing more
 * (docs/benchmarks.md, "State per symbol").
 */
class WindowList {
  first: BarWindow | null = null;
  last: BarWindow | null = null;

  /** The window starting at `start`, searched from the newest; undefined when there is none. */
  find(start: number): BarWindow | undefined {
    for (let bar = this.last; bar !== null; bar = bar.prev) {
      if (bar.start === start) return bar;
      if (bar.start < start) return undefined;
    }
    return undefined;
  }

  /** Puts `bar` after every window starting before it (from the newest). */
  insert(bar: BarWindow): void {
    let after = this.last;
    while (after !== null && after.start > bar.start) after = after.prev;
    bar.prev = after;
    bar.next = after === null ? this.first : after.next;
    if (bar.next === null) this.last = bar;
    else bar.next.prev = bar;
    if (after === null) this.first = bar;
    else after.next = bar;
  }

  /** Takes out the oldest window, which the caller holds. */
  shift(): void {
    const bar = this.first as BarWindow;
    this.first = bar.next;
    if (this.first === null) this.last = null;
    else this.first.prev = null;
    bar.prev = bar.next = null;
  }

  /** Gives back every window. */
  clear(): void {
    for (let bar = this.first; bar !== null;) {
      const next = bar.next;
      giveBack(bar);
      bar = next;
    }
    this.first = this.last = null;
  }
}

export class TumblingBars {
  /** Open windows. */
  private readonly open = new WindowList();
  /** Final windows a correction may still revise; made when corrections first keep one. */
  private closed: WindowList | null = null;

  constructor(
    readonly intervalMs: number,
    readonly label: string,
  ) {}

  /** Adds a trade; returns the window it went into. */
  add(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    const found = this.open.find(start);
    if (found !== undefined) {
      found.add(ts, price, volume);
      return found;
    }
    const bar = spare();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.open.insert(bar);
    return bar;
  }

  /**
   * A correction into a final window: the kept window at `ts`, revised
   * (revision one higher), or a new final window of revision 0 when the
   * window had no trade before. The caller emits it.
   */
  correct(ts: number, price: number, volume: number): BarWindow {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    const found = this.closed?.find(start);
    if (found !== undefined) {
      found.add(ts, price, volume);
      found.revision++;
      return found;
    }
    const bar = spare();
    bar.reset(start, start + this.intervalMs, ts, price, volume);
    this.kept().insert(bar);
    return bar;
  }

  /** The window a trade at `ts` would go into (open, or final and kept), or undefined when there is none yet. */
  windowAt(ts: number): BarWindow | undefined {
    const start = Math.floor(ts / this.intervalMs) * this.intervalMs;
    return this.open.find(start) ?? this.closed?.find(start);
  }

  /**
   * A queued trade's side changed from `before` to `after` (0 when it had
   * none, or has none any more): its open window counts the change. Queued
   * trades are stamped at or after the watermark, where the newest windows
   * are: searched from the end.
   */
  changeSide(ts: number, volume: number, before: number, after: number): void {
    const bar = this.open.find(Math.floor(ts / this.intervalMs) * this.intervalMs);
    if (bar === undefined) return;
    bar.removeSide(before, volume);
    bar.addSide(after, volume);
  }

  /**
   * Emits, in start order, every open window with end <= watermark; keeps
   * those ending after `horizon` for corrections, and lets go of the kept
   * ones that no correction can reach any more.
   */
  closeUpTo(watermark: number, emit: BarListener, horizon = watermark): number {
    let closed = 0;
    for (let bar = this.open.first; bar !== null && bar.end <= watermark; bar = this.open.first) {
      this.open.shift();
      emit(bar, true);
      if (bar.end > horizon) this.kept().insert(bar);
      else giveBack(bar);
      closed++;
    }
    const kept = this.closed;
    if (kept === null) return closed;
    for (let bar = kept.first; bar !== null && bar.end <= horizon; bar = kept.first) {
      kept.shift();
      giveBack(bar);
    }
    return closed;
  }

  /** Final windows kept for corrections, in start order. */
  forEachClosed(visit: (bar: BarWindow) => void): void {
    for (let bar = this.closed?.first ?? null; bar !== null; bar = bar.next) visit(bar);
  }

  /** The end of the earliest open window (the next to close), or Infinity. */
  firstEnd(): number {
    return this.open.first === null ? Infinity : this.open.first.end;
  }

  /** The end of the latest open window, or -Infinity. */
  lastEnd(): number {
    return this.open.last === null ? -Infinity : this.open.last.end;
  }

  forEachOpen(visit: (bar: BarWindow) => void): void {
    for (let bar = this.open.first; bar !== null; bar = bar.next) visit(bar);
  }

  /** Adds a window as a checkpoint holds it (windows arrive in start order): open, or final and kept. */
  restoreWindow(fields: Readonly<BarFields>, final = false): void {
    const bar = spare();
    bar.reset(fields.start, fields.end, fields.openTs, fields.open, 0);
    Object.assign(bar, fields);
    (final ? this.kept() : this.open).insert(bar);
  }

  /**
   * Drops the open windows that start after `bound` (a watermark reset
   * discarding what was stamped ahead of the clock); returns how many.
   */
  discardAfter(bound: number): number {
    let dropped = 0;
    for (let bar = this.open.last; bar !== null && bar.start > bound; bar = this.open.last) {
      this.open.last = bar.prev;
      if (bar.prev === null) this.open.first = null;
      else bar.prev.next = null;
      giveBack(bar);
      dropped++;
    }
    return dropped;
  }

  /** Lets go of the final windows kept for corrections (a flush ends them). */
  forgetClosed(): void {
    this.closed?.clear();
  }

  clear(): void {
    this.open.clear();
    this.forgetClosed();
  }

  private kept(): WindowList {
    return (this.closed ??= new WindowList());
  }
}
