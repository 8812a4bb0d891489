// Bar intervals as the server labels them (`--intervals`, SPEC §1: units ms,
// s, m, h). The page offers the server's defaults.

export const CHART_INTERVALS = ['1s', '1m', '5m'] as const;
export const DEFAULT_INTERVAL = '1m';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of an interval label, or null when it is not one. */
export function intervalMs(label: string): number | null {
  const match = /^(\d+)(ms|s|m|h)$/.exec(label);
  if (match === null) return null;
  const unit = UNIT_MS[match[2] ?? ''];
  return unit === undefined ? null : Number(match[1]) * unit;
}
