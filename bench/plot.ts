// A self-contained HTML page with an SVG percentile-distribution plot, the
// usual HDR picture: x is the percentile on a "number of nines" scale (50 %,
// 90 %, 99 %, 99.9 %, ...), y the latency on a log scale. No scripts, no
// external assets: it opens from disk anywhere.

export interface PlotSeries {
  readonly name: string;
  /** [percentile, microseconds] */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 900;
const HEIGHT = 520;
const MARGIN = { left: 80, right: 200, top: 40, bottom: 60 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const MAX_NINES = 5;

const nines = (percentile: number): number => Math.min(MAX_NINES, percentile >= 100 ? MAX_NINES : -Math.log10(1 - percentile / 100));
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function percentilePlot(title: string, series: readonly PlotSeries[]): string {
  const values = series.flatMap((s) => s.points.map(([, v]) => Math.max(v, 0.01)));
  const low = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (percentile: number): number => MARGIN.left + (nines(percentile) / MAX_NINES) * plotW;
  const y = (us: number): number =>
    MARGIN.top + plotH - ((Math.log10(Math.max(us, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotH;

  const grid: string[] = [];
  for (let n = 0; n <= MAX_NINES; n++) {
    const percentile = 100 - 100 / 10 ** n;
    const px = x(percentile);
    grid.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" class="grid"/>`);
    grid.push(
      `<text x="${px}" y="${MARGIN.top + plotH + 20}" ` +
        `text-anchor="middle">${n === 0 ? '0' : String(Number(percentile.toFixed(n)))}%</text>`,
    );
  }
  for (let v = low; v <= high; v *= 10) {
    const py = y(v);
    grid.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" class="grid"/>`);
    grid.push(`<text x="${MARGIN.left - 8}" y="${py + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} ms` : `${v} µs`}</text>`);
  }
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const path = s.points.map(([p, v], k) => `${k === 0 ? 'M' : 'L'}${x(p).toFixed(1)},${y(Math.max(v, low)).toFixed(1)}`).join(' ');
    const legendY = MARGIN.top + 16 + i * 20;
    return (
      `<path d="${path}" stroke="${color}" fill="none" stroke-width="2"/>` +
      `<rect x="${WIDTH - MARGIN.right + 16}" y="${legendY - 10}" width="14" height="4" fill="${color}"/>` +
      `<text x="${WIDTH - MARGIN.right + 36}" y="${legendY - 4}">${escape(s.name)}</text>`
    );
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#fff;color:#222;margin:24px}
svg text{font-size:12px;fill:#333}.grid{stroke:#ddd;stroke-width:1}</style></head>
<body><h1 style="font-size:18px">${escape(title)}</h1>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${grid.join('\n')}
<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">percentile</text>
<text x="18" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">latency</text>
${lines.join('\n')}
</svg></body></html>
`;
}
