// What a scenario leaves behind in bench/results/: a JSON summary
// (<scenario>.json), one .hgrm per latency series (<scenario>/<series>.hgrm,
// and <series>.<base>.hgrm for each other latency base it has) and a
// self-contained percentile-distribution page (<scenario>.html) of the
// series' main latencies.
// docs/benchmarks.md is regenerated from the JSON summaries by report.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distribution, hgrm, summarize, type Histogram, type LatencySummary } from './hdr';
import { machineInfo, type MachineInfo } from './machine';
import { percentilePlot } from './plot';

export const RESULTS_DIR = join(__dirname, '..', '..', 'bench', 'results');

export interface Series {
  /** e.g. "tickflow 100k/s" or "node baseline". */
  readonly name: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** Main throughput figure and its unit (ticks/s, records/s, messages/s). */
  readonly throughput?: number;
  readonly unit?: string;
  readonly latency?: LatencySummary;
  /** The same deliveries timed from other starting points, by name (e.g. from_send beside a latency from due). */
  readonly latencies?: Readonly<Record<string, LatencySummary>>;
  /** CPU time of the measured process(es) over wall time, in percent of one core. */
  readonly cpu_percent?: number;
  readonly rss_mb?: number;
  readonly extra?: Readonly<Record<string, number | string | boolean | null>>;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly command: string;
  readonly finished: string;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly series: Series[];
  readonly notes: string[];
}

export class ScenarioRecorder {
  readonly series: Series[] = [];
  readonly notes: string[] = [];
  private readonly histograms: Array<{ name: string; histogram: Histogram }> = [];
  private readonly others: Array<{ file: string; histogram: Histogram }> = [];

  constructor(
    readonly scenario: string,
    readonly settings: Record<string, string | number | boolean>,
  ) {}

  /**
   * Adds a series; with a histogram, its latency summary, .hgrm and plot
   * line come from it; each of `others` gives a summary under `latencies`
   * and a .hgrm of its own.
   */
  add(
    series: Omit<Series, 'latency' | 'latencies'> & { latency?: LatencySummary },
    histogram?: Histogram,
    others: Readonly<Record<string, Histogram>> = {},
  ): Series {
    const bases = Object.entries(others);
    let full: Series = histogram === undefined ? series : { ...series, latency: summarize(histogram) };
    if (bases.length > 0) full = { ...full, latencies: Object.fromEntries(bases.map(([base, h]) => [base, summarize(h)])) };
    this.series.push(full);
    if (histogram !== undefined) this.histograms.push({ name: series.name, histogram });
    for (const [base, h] of bases) this.others.push({ file: `${fileName(series.name)}.${fileName(base)}`, histogram: h });
    console.log(line(full));
    return full;
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }

  write(): ScenarioResult {
    const result: ScenarioResult = {
      scenario: this.scenario,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      finished: new Date().toISOString(),
      machine: machineInfo(),
      settings: this.settings,
      series: this.series,
      notes: this.notes,
    };
    const dir = join(RESULTS_DIR, this.scenario);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${this.scenario}.json`), `${JSON.stringify(result, null, 2)}\n`);
    for (const { name, histogram } of this.histograms) writeFileSync(join(dir, `${fileName(name)}.hgrm`), hgrm(histogram));
    for (const { file, histogram } of this.others) writeFileSync(join(dir, `${file}.hgrm`), hgrm(histogram));
    if (this.histograms.length > 0) {
      const page = percentilePlot(
        `tickflow bench: ${this.scenario}`,
        this.histograms.map(({ name, histogram }) => ({ name, points: distribution(histogram) })),
      );
      writeFileSync(join(RESULTS_DIR, `${this.scenario}.html`), page);
    }
    return result;
  }
}

export function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');
}

function line(series: Series): string {
  const parts = [series.name];
  if (series.throughput !== undefined) parts.push(`${Math.round(series.throughput).toLocaleString('en-US')} ${series.unit ?? '/s'}`);
  const l = series.latency;
  if (l !== undefined)
    parts.push(`p50 ${l.p50_us} µs, p99 ${l.p99_us} µs, p99.9 ${l.p99_9_us} µs, max ${l.max_us} µs (${l.count} samples)`);
  for (const [base, o] of Object.entries(series.latencies ?? {}))
    parts.push(`${base}: p50 ${o.p50_us} µs, p99 ${o.p99_us} µs, p99.9 ${o.p99_9_us} µs`);
  if (series.cpu_percent !== undefined) parts.push(`cpu ${Math.round(series.cpu_percent)} %`);
  if (series.rss_mb !== undefined) parts.push(`rss ${series.rss_mb} MiB`);
  return parts.join(' | ');
}
