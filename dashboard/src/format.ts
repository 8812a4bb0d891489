// Number and time formats of the page. Event times are shown in UTC, as the
// chart's time axis shows them, so a row and a candle always agree.

const DASH = '—';

export function price(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const digits = Math.abs(value) >= 1000 ? 2 : Math.abs(value) >= 1 ? 2 : 4;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function percent(fraction: number | null | undefined, signed = true): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return DASH;
  const text = `${(fraction * 100).toFixed(2)}%`;
  return signed && fraction > 0 ? `+${text}` : text;
}

/** Counts and rates: 1,234 then 12.3k, 4.56M. */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e5) return `${(value / 1e3).toFixed(0)}k`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return Math.round(value).toLocaleString('en-US');
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 1 << 20) return `${(value / (1 << 20)).toFixed(1)} MiB`;
  if (value >= 1 << 10) return `${(value / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(value)} B`;
}

/** A duration given in seconds, in the unit that keeps 3 significant digits. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value === 0) return '0';
  if (value < 1e-3) return `${(value * 1e6).toPrecision(3)} µs`;
  if (value < 1) return `${(value * 1e3).toPrecision(3)} ms`;
  return `${value.toPrecision(3)} s`;
}

/** A ratio such as a volume or spread multiple: ×23.4. */
export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? DASH : `×${value.toFixed(1)}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** HH:MM:SS.mmm UTC of an epoch-ms time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** YYYY-MM-DD HH:MM:SS UTC of an epoch-ms time. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}
