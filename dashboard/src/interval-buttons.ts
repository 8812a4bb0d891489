// The interval buttons beside the quote. The page starts with the server's
// default time intervals (1s, 1m, 5m, in index.html) so it is usable before
// it has asked anything; once /health has said which intervals the server
// serves (`intervals`, docs/operations.md), a default it lacks is hidden and
// each interval it has beyond them gets a button: time intervals first, then
// activity bars (`500t`) after a gap. A server that does not say keeps the
// defaults, and a button whose channel the server refuses is disabled.
//
// `#intervals` carries data-source (`page` until the server's list is in,
// then `server`); activity buttons carry data-kind="activity".

import { fetchFrom, type Endpoints } from './endpoints';
import { describeInterval, parseInterval, type IntervalSpec } from './intervals';

/** The interval labels /health lists, or null when the server does not say (or does not answer). */
export async function servedIntervals(endpoints: Endpoints): Promise<string[] | null> {
  try {
    const response = await fetchFrom(endpoints, '/health');
    const body: unknown = await response.json();
    const list = typeof body === 'object' && body !== null && 'intervals' in body ? body.intervals : null;
    return Array.isArray(list) && list.every((label) => typeof label === 'string') ? (list as string[]) : null;
  } catch {
    return null;
  }
}

export class IntervalButtons {
  private chosen: string | null = null;

  constructor(
    private readonly group: HTMLElement,
    pick: (interval: string) => void,
  ) {
    group.dataset.source = 'page';
    group.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button') : null;
      const interval = button?.dataset.interval;
      if (button !== null && button !== undefined && !button.disabled && interval !== undefined) pick(interval);
    });
  }

  private all(): HTMLButtonElement[] {
    return [...this.group.querySelectorAll<HTMLButtonElement>('button[data-interval]')];
  }

  /** The buttons shown, in order: the digit keys pick from these. */
  shown(): string[] {
    return this.all()
      .filter((b) => !b.hidden && !b.disabled)
      .map((b) => b.dataset.interval ?? '');
  }

  /** The server's interval labels, in its order: shows exactly those. */
  offer(labels: readonly string[]): void {
    const specs = labels.map(parseInterval).filter((spec): spec is IntervalSpec => spec !== null);
    const served = new Set(specs.map((spec) => spec.label));
    const existing = new Map(this.all().map((b) => [b.dataset.interval ?? '', b]));
    for (const [label, button] of existing) button.hidden = !served.has(label);
    const added = [...specs.filter((s) => s.kind === 'time'), ...specs.filter((s) => s.kind === 'activity')];
    let firstActivity = true;
    for (const spec of added) {
      if (existing.has(spec.label)) continue;
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.interval = spec.label;
      button.textContent = spec.label;
      if (spec.kind === 'activity') {
        button.dataset.kind = 'activity';
        if (firstActivity) button.classList.add('activity-first');
        firstActivity = false;
      }
      this.group.append(button);
      existing.set(spec.label, button);
    }
    // The digit keys follow the buttons shown, so their titles say which key is theirs now.
    this.shown().forEach((label, i) => {
      const spec = parseInterval(label);
      const button = existing.get(label);
      if (spec !== null && button !== undefined) button.title = `${describeInterval(spec)}${i < 9 ? ` (key ${i + 1})` : ''}`;
    });
    this.group.dataset.source = 'server';
    this.press(this.chosen);
  }

  /** Marks the charted interval's button. */
  press(interval: string | null): void {
    this.chosen = interval;
    for (const b of this.all()) b.setAttribute('aria-pressed', String(b.dataset.interval === interval));
  }

  /** The server refused the interval's channel. */
  disable(interval: string): void {
    for (const b of this.all()) if (b.dataset.interval === interval) b.disabled = true;
  }
}
