// The alert feed: every symbol's alerts (`alerts.*`), newest event time first,
// filterable by type and severity, each with the statistic that triggered it.
// Alerts are keyed by channel and seq, so the snapshot, a backfill and a
// resume can each deliver one again without a duplicate row. A click on a
// row charts the alert's symbol at its time.

import { clock, percent, price, ratio } from './format';
import type { Alert } from './wire-types';

/** Alerts kept in memory; the oldest go first. */
const MAX_KEPT = 2000;
/** Rows drawn: a screenful and then some; filters see every kept alert. */
const MAX_ROWS = 200;
/** A row this young (wall clock) is highlighted as new. */
const FRESH_MS = 1500;

interface Entry {
  readonly key: string;
  readonly alert: Alert;
  readonly arrived: number;
  /** Arrived live, not in a snapshot or backfill: highlighted while new. */
  readonly live: boolean;
}

/** Short names, so a row fits a third of a laptop screen; the full name is the cell's title. */
const SHORT_TYPE: Readonly<Record<Alert['anomaly_type'], string>> = {
  PRICE_SPIKE: 'SPIKE',
  VOLUME_SURGE: 'SURGE',
  COMBINED_ANOMALY: 'COMBINED',
  SPREAD_WIDENING: 'SPREAD',
  HIGH_VOLATILITY: 'VOLATILITY',
};
const SHORT_SEVERITY: Readonly<Record<Alert['severity'], string>> = { CRITICAL: 'CRIT', HIGH: 'HIGH', WARNING: 'WARN' };

/** The statistic that made the alert, as the rule reads it. */
export function trigger(alert: Alert): string {
  const z = alert.price_zscore === null ? '—' : alert.price_zscore.toFixed(2);
  switch (alert.anomaly_type) {
    case 'PRICE_SPIKE':
      return `z ${z}`;
    case 'VOLUME_SURGE':
      return `vol ${ratio(alert.volume_ratio)}`;
    case 'COMBINED_ANOMALY':
      return `z ${z} · vol ${ratio(alert.volume_ratio)}`;
    case 'SPREAD_WIDENING':
      return `spread ${ratio(alert.spread_ratio)}`;
    case 'HIGH_VOLATILITY':
      return `volat ${percent(alert.volatility, false)}`;
  }
}

/** Newest first: by event time, then by arrival. */
function newer(a: Entry, b: Entry): boolean {
  return a.alert.timestamp > b.alert.timestamp || (a.alert.timestamp === b.alert.timestamp && a.arrived >= b.arrived);
}

export class AlertFeed {
  private entries: Entry[] = [];
  private readonly keys = new Set<string>();
  private dirty = true;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly typeFilter: HTMLSelectElement,
    private readonly severityFilter: HTMLSelectElement,
    private readonly summary: HTMLElement,
    choose: (alert: Alert) => void,
  ) {
    for (const filter of [typeFilter, severityFilter]) filter.addEventListener('change', () => this.touch());
    body.addEventListener('click', (event) => {
      const key = (event.target as Element).closest('tr')?.dataset.key;
      const entry = this.entries.find((e) => e.key === key);
      if (entry !== undefined) choose(entry.alert);
    });
  }

  add(channel: string, seq: number, alert: Alert, live: boolean): void {
    const key = `${channel}#${seq}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    const entry: Entry = { key, alert, arrived: Date.now(), live };
    // Binary search for the insertion point: arrivals are mostly newest.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newer(this.entries[mid] as Entry, entry)) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, entry);
    if (this.entries.length > MAX_KEPT) {
      for (const old of this.entries.splice(MAX_KEPT)) this.keys.delete(old.key);
    }
    this.touch();
  }

  /** A symbol's alerts, newest first. */
  forSymbol(symbol: string): Alert[] {
    return this.entries.filter((e) => e.alert.symbol === symbol).map((e) => e.alert);
  }

  get size(): number {
    return this.entries.length;
  }

  private touch(): void {
    this.dirty = true;
  }

  /** Redraws the rows when alerts or filters changed, or a row stopped being new. */
  render(): void {
    const now = Date.now();
    const freshUntil =
      Math.max(
        0,
        ...this.entries
          .slice(0, MAX_ROWS)
          .filter((e) => e.live)
          .map((e) => e.arrived),
      ) + FRESH_MS;
    if (!this.dirty && now > freshUntil + 1000) return;
    this.dirty = false;
    const type = this.typeFilter.value;
    const severity = this.severityFilter.value;
    const shown = this.entries.filter(
      (e) => (type === '' || e.alert.anomaly_type === type) && (severity === '' || e.alert.severity === severity),
    );
    const rows = shown.slice(0, MAX_ROWS).map((e) => this.row(e, now));
    this.body.replaceChildren(...rows);
    this.body.dataset.count = String(this.entries.length);
    this.body.dataset.shown = String(shown.length);
    this.summary.textContent =
      shown.length === this.entries.length ? `${this.entries.length} alerts` : `${shown.length} of ${this.entries.length} alerts`;
  }

  private row(entry: Entry, now: number): HTMLTableRowElement {
    const a = entry.alert;
    const tr = document.createElement('tr');
    tr.dataset.key = entry.key;
    tr.dataset.type = a.anomaly_type;
    tr.dataset.severity = a.severity;
    tr.dataset.symbol = a.symbol;
    tr.dataset.timestamp = String(a.timestamp);
    tr.className = `sev-${a.severity.toLowerCase()}${entry.live && now - entry.arrived < FRESH_MS ? ' fresh' : ''}`;
    tr.title = `${a.anomaly_type} ${a.severity} at ${clock(a.timestamp)} UTC: click to chart ${a.symbol} there`;
    const cells: Array<[string, string]> = [
      [clock(a.timestamp).slice(0, 8), 'time'],
      [a.symbol, 'sym'],
      [SHORT_TYPE[a.anomaly_type], 'type'],
      [SHORT_SEVERITY[a.severity], 'sev'],
      [trigger(a), 'num trigger'],
      [price(a.price), 'num'],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement('td');
      td.className = cls;
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }
}
