// Bar intervals as the server labels them (`--intervals`, SPEC §1): time bars
// in ms, s, m or h, aligned to the epoch, and activity bars closed every N
// trades (`500t`), N units of volume (`100000v`) or N of notional (`1000000n`).
// The page starts with the server's default time intervals and learns the
// ones it serves from /health (interval-buttons.ts).

export const DEFAULT_INTERVAL = '1m';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const ACTIVITY_UNITS: Readonly<Record<string, string>> = { t: 'trades', v: 'units of volume', n: 'of notional' };

export type IntervalSpec =
  | { readonly kind: 'time'; readonly label: string; readonly ms: number }
  | { readonly kind: 'activity'; readonly label: string; readonly size: number; readonly unit: 't' | 'v' | 'n' };

/** Milliseconds of a time interval label, or null when it is not one. */
export function intervalMs(label: string): number | null {
  const match = /^(\d+)(ms|s|m|h)$/.exec(label);
  if (match === null) return null;
  const unit = UNIT_MS[match[2] ?? ''];
  return unit === undefined ? null : Number(match[1]) * unit;
}

/** A time or activity interval label, or null when it is neither. */
export function parseInterval(label: string): IntervalSpec | null {
  const ms = intervalMs(label);
  if (ms !== null) return ms > 0 ? { kind: 'time', label, ms } : null;
  const activity = /^([1-9]\d*)([tvn])$/.exec(label);
  if (activity === null) return null;
  const size = Number(activity[1]);
  if (!Number.isSafeInteger(size)) return null;
  return { kind: 'activity', label, size, unit: activity[2] as 't' | 'v' | 'n' };
}

/** What an interval's button says on hover: "bars of 500 trades". */
export function describeInterval(spec: IntervalSpec): string {
  if (spec.kind === 'time') return `${spec.label} bars`;
  return `bars of ${spec.size.toLocaleString('en-US')} ${ACTIVITY_UNITS[spec.unit] ?? ''}`;
}
