// The top movers table: the symbols with the largest price change over the
// last five minutes; a click charts the symbol.

import { count, percent, price } from './format';
import type { MarketBoard } from './market-board';

const ROWS = 12;

export class MoversTable {
  private drawn = -1;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly board: MarketBoard,
    private readonly choose: (symbol: string) => void,
  ) {
    body.addEventListener('click', (event) => {
      const row = (event.target as Element).closest('tr');
      const symbol = row?.dataset.symbol;
      if (symbol !== undefined) this.choose(symbol);
    });
  }

  /** Redraws when the board changed since the last time. */
  render(selected: string | null): void {
    if (this.drawn === this.board.changes && this.body.dataset.selected === (selected ?? '')) return;
    this.drawn = this.board.changes;
    this.body.dataset.selected = selected ?? '';
    const rows = this.board.movers(ROWS).map((m) => {
      const tr = document.createElement('tr');
      tr.dataset.symbol = m.symbol;
      tr.title = `change over the last ${Math.round(m.spanMs / 60_000)} min of event time; click to chart`;
      if (m.symbol === selected) tr.className = 'selected';
      const direction = m.change > 0 ? 'up' : m.change < 0 ? 'down' : '';
      for (const [text, cls] of [
        [m.symbol, 'sym'],
        [price(m.last), 'num'],
        [percent(m.change), `num ${direction}`],
        [count(m.volume), 'num'],
        [count(m.trades), 'num'],
      ] as const) {
        const td = document.createElement('td');
        td.className = cls;
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
