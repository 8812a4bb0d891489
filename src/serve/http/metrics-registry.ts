// Prometheus text exposition. Components keep plain counters on their own
// objects (the hot path increments a field, nothing more) and register a
// family that reads them when /metrics is scraped.

export type Labels = Readonly<Record<string, string>>;
export type Sample = readonly [labels: Labels | null, value: number, suffix?: string];

/** A cumulative histogram as its owner keeps it (see partition/checkpoint-stats.ts). */
export interface HistogramData {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'summary' | 'histogram';
  samples(): readonly Sample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export class MetricsRegistry {
  private readonly families: MetricFamily[] = [];

  register(family: MetricFamily): void {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.push(family);
  }

  /** Shorthand for a family of one unlabelled sample. */
  value(name: string, help: string, type: 'counter' | 'gauge', read: () => number): void {
    this.register({ name, help, type, samples: () => [[null, read()]] });
  }

  /** A histogram family: `_bucket` per bound and `+Inf`, `_sum` and `_count`. */
  histogram(name: string, help: string, read: () => HistogramData): void {
    this.register({
      name,
      help,
      type: 'histogram',
      samples: () => {
        const h = read();
        return [
          ...h.bounds.map((bound, i): Sample => [{ le: String(bound) }, h.counts[i] ?? 0, '_bucket']),
          [{ le: '+Inf' }, h.count, '_bucket'],
          [null, h.sum, '_sum'],
          [null, h.count, '_count'],
        ];
      },
    });
  }

  names(): string[] {
    return this.families.map((f) => f.name);
  }

  render(): string {
    const lines: string[] = [];
    for (const family of this.families) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      for (const [labels, value, suffix] of family.samples()) {
        const text =
          labels === null
            ? ''
            : `{${Object.entries(labels)
                .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
                .join(',')}}`;
        lines.push(`${family.name}${suffix ?? ''}${text} ${formatValue(value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
