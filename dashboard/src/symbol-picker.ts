// The symbol picker: a search box over every symbol the page has seen, with
// the keyboard a desk uses (`/` to search, arrows, Enter, Escape). Enter on a
// symbol the page has not seen yet still charts it: a quiet name is a valid
// choice.

import { percent, price } from './format';
import type { MarketBoard } from './market-board';

const SYMBOL = /^[A-Za-z0-9._:/-]{1,32}$/;
const MAX_ITEMS = 60;

export class SymbolPicker {
  private matches: string[] = [];
  private active = 0;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLUListElement,
    private readonly board: MarketBoard,
    private readonly choose: (symbol: string) => void,
  ) {
    input.addEventListener('focus', () => this.open());
    input.addEventListener('input', () => {
      this.active = 0;
      this.open();
    });
    input.addEventListener('blur', () => this.close());
    input.addEventListener('keydown', (event) => this.key(event));
    // mousedown, not click: a click would come after the input's blur closed the list.
    list.addEventListener('mousedown', (event) => {
      const item = (event.target as Element).closest('li');
      const symbol = item?.dataset.symbol;
      if (symbol === undefined) return;
      event.preventDefault();
      this.pick(symbol);
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === '/' && document.activeElement !== input && !(document.activeElement instanceof HTMLInputElement)) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  /** Shows the chosen symbol in the box. */
  showChosen(symbol: string): void {
    this.input.placeholder = `${symbol} — search symbols (/)`;
  }

  private key(event: KeyboardEvent): void {
    switch (event.key) {
      case 'ArrowDown':
        this.active = Math.min(this.matches.length - 1, this.active + 1);
        this.draw();
        event.preventDefault();
        return;
      case 'ArrowUp':
        this.active = Math.max(0, this.active - 1);
        this.draw();
        event.preventDefault();
        return;
      case 'Enter': {
        const typed = this.input.value.trim();
        const symbol = this.matches[this.active] ?? (SYMBOL.test(typed) ? typed : undefined);
        if (symbol !== undefined) this.pick(symbol);
        event.preventDefault();
        return;
      }
      case 'Escape':
        this.input.blur();
        return;
      default:
    }
  }

  private pick(symbol: string): void {
    this.input.value = '';
    this.input.blur();
    this.choose(symbol);
  }

  private open(): void {
    const query = this.input.value.trim().toUpperCase();
    const all = this.board.symbols();
    const starts = all.filter((s) => s.toUpperCase().startsWith(query));
    const contains = all.filter((s) => !s.toUpperCase().startsWith(query) && s.toUpperCase().includes(query));
    this.matches = [...starts, ...contains].slice(0, MAX_ITEMS);
    this.active = Math.min(this.active, Math.max(0, this.matches.length - 1));
    this.draw();
    this.list.hidden = false;
  }

  private close(): void {
    this.list.hidden = true;
  }

  private draw(): void {
    const items = this.matches.map((symbol, i) => {
      const li = document.createElement('li');
      li.dataset.symbol = symbol;
      li.setAttribute('role', 'option');
      if (i === this.active) li.className = 'active';
      const m = this.board.mover(symbol);
      const name = document.createElement('span');
      name.className = 'sym';
      name.textContent = symbol;
      const last = document.createElement('span');
      last.className = 'num';
      last.textContent = price(m?.last);
      const change = document.createElement('span');
      change.className = `num ${m === null ? '' : m.change >= 0 ? 'up' : 'down'}`;
      change.textContent = percent(m?.change);
      li.append(name, last, change);
      return li;
    });
    if (items.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = SYMBOL.test(this.input.value.trim()) ? 'not seen yet — Enter charts it anyway' : 'no symbols yet';
      items.push(li);
    }
    this.list.replaceChildren(...items);
    this.list.querySelector('li.active')?.scrollIntoView({ block: 'nearest' });
  }
}
