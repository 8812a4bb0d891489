// A reader of the Prometheus text exposition format (version 0.0.4), enough
// for /metrics: `name{label="value",...} number [timestamp]` lines, label
// values unescaped, NaN and ±Inf understood. A family declared by `# TYPE`
// with no samples yet (no dead letters so far) is present with none, which
// tells "zero" apart from "not published by this server".

export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type Metrics = ReadonlyMap<string, readonly MetricSample[]>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function number(text: string): number {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

/** Labels from just after `{`; returns them and the index after `}`, or null if malformed. */
function readLabels(line: string, start: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = start;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i))?.[0];
    if (name === undefined || line[i + name.length] !== '=' || line[i + name.length + 1] !== '"') return null;
    i += name.length + 2;
    let value = '';
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else {
        value += line[i];
        i++;
      }
    }
    if (i >= line.length) return null;
    labels[name] = value;
    i++;
  }
}

export function parsePrometheus(text: string): Map<string, MetricSample[]> {
  const out = new Map<string, MetricSample[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('# TYPE ')) {
      const declared = line.split(/\s+/)[2];
      if (declared !== undefined && !out.has(declared)) out.set(declared, []);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined) continue;
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === '{') {
      const read = readLabels(line, rest + 1);
      if (read === null) continue;
      labels = read.labels;
      rest = read.end;
    }
    const value = number(line.slice(rest).trim().split(/\s+/)[0] ?? '');
    if (Number.isNaN(value) && line.slice(rest).trim().split(/\s+/)[0] !== 'NaN') continue;
    const samples = out.get(name) ?? [];
    samples.push({ labels, value });
    out.set(name, samples);
  }
  return out;
}

/** The one sample of an unlabelled metric, or null when it is absent. */
export function single(metrics: Metrics, name: string): number | null {
  return metrics.get(name)?.[0]?.value ?? null;
}

/** The sum of a metric's samples whose labels match `where`, or null when none do. */
export function sum(
  metrics: Metrics,
  name: string,
  where: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): number | null {
  const samples = (metrics.get(name) ?? []).filter((s) => where(s.labels));
  return samples.length === 0 ? null : samples.reduce((total, s) => total + s.value, 0);
}
