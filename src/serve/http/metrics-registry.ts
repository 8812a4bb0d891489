// Prometheus text exposition. Components keep plain counters on their own
// objects (the hot path increments a field, nothing more) and register a
// family that reads them when /metrics is scraped.

export type Labels = Readonly<Record<string, string>>;
export type Sample = readonly [labels: Labels | null, value: number];

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'summary';
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

  names(): string[] {
    return this.families.map((f) => f.name);
  }

  render(): string {
    const lines: string[] = [];
    for (const family of this.families) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      for (const [labels, value] of family.samples()) {
        const text =
          labels === null
            ? ''
            : `{${Object.entries(labels)
                .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
                .join(',')}}`;
        lines.push(`${family.name}${text} ${formatValue(value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
