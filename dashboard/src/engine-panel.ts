// The engine panel: the server's own numbers from GET /metrics, scraped every
// second. Rates are differences between two scrapes; everything else is read
// as published. A metric the server does not publish (the Kafka mirror lag
// before the mirror exists, or with it off) shows as "—", never as 0.

import { fetchFrom, type Endpoints } from './endpoints';
import { bytes, count, percent, seconds } from './format';
import { latencyAxis, latencyTrack, quantileLabel } from './latency-chart';
import { parsePrometheus, single, sum, type Metrics } from './prometheus-text';

const SCRAPE_MS = 1000;
/** A scrape slower than this counts as failed: a hung request must not freeze the panel on old numbers. */
const SCRAPE_TIMEOUT_MS = 4000;
/** After a 401/403 the token will not change by itself: ask rarely. */
const DENIED_RETRY_MS = 15_000;
const STAGE_ORDER = ['ring_in', 'engine', 'ring_out', 'publish', 'tick_to_publish'];
const NOT_REJECTS = new Set(['late', 'duplicate']);

interface Scrape {
  readonly at: number;
  readonly metrics: Metrics;
}

export class EnginePanel {
  private previous: Scrape | null = null;
  private timer: number | undefined;
  private readonly tiles = new Map<string, HTMLElement>();

  constructor(
    private readonly root: HTMLElement,
    private readonly endpoints: Endpoints,
    private readonly latencyTable: HTMLTableElement,
    private readonly note: HTMLElement,
  ) {
    for (const tile of root.querySelectorAll<HTMLElement>('[data-metric]')) {
      const value = tile.querySelector<HTMLElement>('.value');
      if (value !== null && tile.dataset.metric !== undefined) this.tiles.set(tile.dataset.metric, value);
    }
  }

  start(): void {
    void this.scrape();
  }

  private schedule(ms: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.scrape(), ms);
  }

  private async scrape(): Promise<void> {
    let text: string;
    try {
      const response = await fetchFrom(this.endpoints, '/metrics', AbortSignal.timeout(SCRAPE_TIMEOUT_MS));
      if (response.status === 401 || response.status === 403) {
        this.problem('denied', 'the engine panel needs a token with the admin role (/metrics)');
        this.schedule(DENIED_RETRY_MS);
        return;
      }
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      text = await response.text();
    } catch (err) {
      this.problem('error', `metrics unavailable: ${(err as Error).message}`);
      this.schedule(SCRAPE_MS * 2);
      return;
    }
    const now: Scrape = { at: performance.now(), metrics: parsePrometheus(text) };
    this.show(now, this.previous);
    this.previous = now;
    this.schedule(SCRAPE_MS);
  }

  private problem(state: string, text: string): void {
    this.root.dataset.state = state;
    this.note.textContent = text;
    this.note.hidden = false;
    this.previous = null;
  }

  private set(metric: string, text: string, value: number | null): void {
    const el = this.tiles.get(metric);
    if (el === undefined) return;
    el.textContent = text;
    const tile = el.parentElement;
    if (tile !== null) {
      if (value === null) delete tile.dataset.value;
      else tile.dataset.value = String(value);
    }
  }

  private rate(now: Scrape, before: Scrape | null, name: string): number | null {
    const a = single(now.metrics, name);
    const b = before === null ? null : single(before.metrics, name);
    if (a === null || b === null || before === null || now.at <= before.at) return null;
    return Math.max(0, a - b) / ((now.at - before.at) / 1000);
  }

  private show(now: Scrape, before: Scrape | null): void {
    const m = now.metrics;
    this.root.dataset.state = 'ok';
    this.root.dataset.updated = String(Date.now());
    this.note.hidden = true;

    const ticks = this.rate(now, before, 'tickflow_ticks_accepted_total');
    this.set('ticks_per_s', count(ticks), ticks);
    const messages = this.rate(now, before, 'tickflow_messages_published_total');
    this.set('messages_per_s', count(messages), messages);
    const subscribers = sum(m, 'tickflow_subscribers');
    this.set('subscribers', count(subscribers), subscribers);

    const capacity = single(m, 'tickflow_ring_capacity_bytes');
    const rings = m.get('tickflow_ring_occupancy_bytes') ?? [];
    const fullest = rings.length === 0 ? null : Math.max(...rings.map((s) => s.value));
    const share = fullest === null || capacity === null || capacity === 0 ? null : fullest / capacity;
    this.set('ring', percent(share, false), share);
    const ringTile = this.tiles.get('ring')?.parentElement;
    if (ringTile != null) ringTile.title = `fullest of ${rings.length} rings: ${bytes(fullest)} of ${bytes(capacity)}`;

    const late = sum(m, 'tickflow_dead_letters_total', (l) => l.reason === 'late') ?? (m.has('tickflow_dead_letters_total') ? 0 : null);
    const duplicate =
      sum(m, 'tickflow_dead_letters_total', (l) => l.reason === 'duplicate') ?? (m.has('tickflow_dead_letters_total') ? 0 : null);
    const rejected =
      sum(m, 'tickflow_dead_letters_total', (l) => !NOT_REJECTS.has(l.reason ?? '')) ?? (m.has('tickflow_dead_letters_total') ? 0 : null);
    this.set('late', count(late), late);
    this.set('duplicate', count(duplicate), duplicate);
    this.set('rejected', count(rejected), rejected);

    const mirrorLag = single(m, 'tickflow_mirror_lag_seconds');
    this.set('mirror_lag', seconds(mirrorLag), mirrorLag);

    // inline, or "partitioned ×N" with its worker threads.
    const placement = (m.get('tickflow_engine_placement') ?? []).find((sample) => sample.value === 1)?.labels.placement;
    const workers = single(m, 'tickflow_partitions');
    this.set('placement', placement === undefined ? '—' : placement === 'inline' ? 'inline' : `${placement} ×${count(workers)}`, workers);

    this.showLatency(m);
  }

  private showLatency(m: Metrics): void {
    const byStage = new Map<string, Map<string, number>>();
    const quantiles: string[] = [];
    for (const s of m.get('tickflow_stage_latency_seconds') ?? []) {
      const stage = s.labels.stage;
      const q = s.labels.quantile;
      if (stage === undefined || q === undefined) continue;
      if (!quantiles.includes(q)) quantiles.push(q);
      const values = byStage.get(stage) ?? new Map<string, number>();
      values.set(q, s.value);
      byStage.set(stage, values);
    }
    quantiles.sort((a, b) => Number(a) - Number(b));
    const rank = (stage: string): number => (STAGE_ORDER.includes(stage) ? STAGE_ORDER.indexOf(stage) : STAGE_ORDER.length);
    const stages = [...byStage].sort((a, b) => rank(a[0]) - rank(b[0]));

    const head = document.createElement('tr');
    for (const text of ['stage', ...quantiles.map(quantileLabel), 'log scale']) {
      const th = document.createElement('th');
      th.textContent = text;
      if (text !== 'stage') th.className = text.startsWith('p') ? 'num' : 'lat-head';
      head.append(th);
    }
    const rows = stages.map(([stage, values]) => {
      const tr = document.createElement('tr');
      tr.dataset.stage = stage;
      const name = document.createElement('td');
      name.textContent = stage;
      tr.append(name);
      for (const q of quantiles) {
        const td = document.createElement('td');
        td.className = 'num';
        td.textContent = seconds(values.get(q) ?? null);
        tr.append(td);
      }
      const chart = document.createElement('td');
      chart.className = 'lat-cell';
      chart.append(latencyTrack(stage, values, quantiles));
      tr.append(chart);
      return tr;
    });
    const foot = document.createElement('tr');
    const under = document.createElement('td');
    under.colSpan = quantiles.length + 1;
    const scale = document.createElement('td');
    scale.className = 'lat-cell';
    scale.append(latencyAxis());
    foot.append(under, scale);
    this.latencyTable.tHead?.replaceChildren(head);
    this.latencyTable.tBodies[0]?.replaceChildren(...rows);
    this.latencyTable.tFoot?.replaceChildren(foot);
  }
}
