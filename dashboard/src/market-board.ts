// Every symbol's last few minutes, from the 1-minute bars of all symbols
// (`bars.1m.*`, conflated by the server to one message per symbol per
// second): the symbol list of the picker and the top movers. A mover's change
// is its last price against the open of its bars over the last five minutes
// of event time — fewer while the page has seen fewer.

import type { Bar } from './wire-types';

export const MOVER_WINDOW_MS = 5 * 60_000;
const BAR_MS = 60_000;

export interface Mover {
  readonly symbol: string;
  readonly last: number;
  /** (last − reference open) / reference open. */
  readonly change: number;
  readonly volume: number;
  readonly trades: number;
  /** Event time the change covers, ms (up to MOVER_WINDOW_MS). */
  readonly spanMs: number;
}

export class MarketBoard {
  private readonly bars = new Map<string, Map<number, Bar>>();
  private readonly known = new Set<string>();
  private version = 0;

  /** Bumped on every change, so views redraw only when something moved. */
  get changes(): number {
    return this.version;
  }

  onBar(bar: Bar): void {
    let windows = this.bars.get(bar.symbol);
    if (windows === undefined) {
      windows = new Map();
      this.bars.set(bar.symbol, windows);
    }
    const held = windows.get(bar.window_start);
    if (held !== undefined && held.final && !bar.final) return;
    windows.set(bar.window_start, bar);
    const oldest = bar.window_start - MOVER_WINDOW_MS;
    for (const start of windows.keys()) if (start < oldest) windows.delete(start);
    this.see(bar.symbol);
  }

  /** A symbol seen elsewhere (an alert): it belongs in the picker. */
  see(symbol: string): void {
    this.known.add(symbol);
    this.version++;
  }

  symbols(): string[] {
    return [...this.known].sort();
  }

  mover(symbol: string): Mover | null {
    const windows = this.bars.get(symbol);
    if (windows === undefined || windows.size === 0) return null;
    const starts = [...windows.keys()].sort((a, b) => a - b);
    const latest = starts[starts.length - 1] as number;
    const first = starts.find((s) => s > latest - MOVER_WINDOW_MS) as number;
    const reference = (windows.get(first) as Bar).open;
    const last = (windows.get(latest) as Bar).close;
    let volume = 0;
    let trades = 0;
    for (const start of starts) {
      if (start < first) continue;
      const bar = windows.get(start) as Bar;
      volume += bar.volume;
      trades += bar.trade_count;
    }
    return { symbol, last, change: (last - reference) / reference, volume, trades, spanMs: latest + BAR_MS - first };
  }

  /** The symbols that moved most, by absolute change. */
  movers(limit: number): Mover[] {
    const all: Mover[] = [];
    for (const symbol of this.bars.keys()) {
      const m = this.mover(symbol);
      if (m !== null) all.push(m);
    }
    return all.sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.symbol.localeCompare(b.symbol)).slice(0, limit);
  }

  /** The symbol with the most trades lately: the chart's first choice. */
  mostActive(): string | null {
    let best: Mover | null = null;
    for (const symbol of this.bars.keys()) {
      const m = this.mover(symbol);
      if (m !== null && (best === null || m.trades > best.trades)) best = m;
    }
    return best?.symbol ?? null;
  }
}
