// What a scenario leaves behind in bench/results/: a JSON summary
// (<scenario>.json), one .hgrm per latency series (<scenario>/<series>.hgrm)
// and a self-contained percentile-distribution page (<scenario>.html).
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

  constructor(readonly scenario: string, readonly settings: Record<string, string | number | boolean>) {}

  /** Adds a series; with a histogram, its latency summary and .hgrm come from it. */
  add(series: Omit<Series, 'latency'> & { latency?: LatencySummary }, histogram?: Histogram): Series {
    const full: Series = histogram === undefined ? series : { ...series, latency: summarize(histogram) };
    this.series.push(full);
    if (histogram !== undefined) this.histograms.push({ name: series.name, histogram });
    console.log(line(full));
    return full;
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }

  write(): ScenarioResult {
    const result: ScenarioResult = {
      scenario: this.scenario, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), finished: new Date().toISOString(),
      machine: machineInfo(), settings: this.settings, series: this.series, notes: this.notes,
    };
    const dir = join(RESULTS_DIR, this.scenario);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${this.scenario}.json`), `${JSON.stringify(result, null, 2)}\n`);
    for (const { name, histogram } of this.histograms) writeFileSync(join(dir, `${fileName(name)}.hgrm`), hgrm(histogram));
    if (this.histograms.length > 0) {
      const page = percentilePlot(`tickflow bench: ${this.scenario}`, this.histograms.map(({ name, histogram }) => ({ name, points: distribution(histogram) })));
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
  if (l !== undefined) parts.push(`p50 ${l.p50_us} µs, p99 ${l.p99_us} µs, p99.9 ${l.p99_9_us} µs, max ${l.max_us} µs (${l.count} samples)`);
  if (series.cpu_percent !== undefined) parts.push(`cpu ${Math.round(series.cpu_percent)} %`);
  if (series.rss_mb !== undefined) parts.push(`rss ${series.rss_mb} MiB`);
  return parts.join(' | ');
}
