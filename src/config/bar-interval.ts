// The entries of --intervals: epoch-aligned time bars ("1s", "5m") and the
// activity bars of SPEC §1, closed every N trades ("500t"), N units of
// volume ("100000v") or N of notional, Σ price·volume ("1000000n"). The
// label is the bar channel's middle part (`bars.500t.AAPL`) and the
// record's `interval`.

import { formatDuration, parseDuration } from './duration';

export type BarKind = 'time' | 'trades' | 'volume' | 'notional';

export interface BarInterval {
  readonly kind: BarKind;
  /** Milliseconds for a time bar; N for an activity bar. */
  readonly size: number;
  readonly label: string;
}

const ACTIVITY = /^(\d+)([tvn])$/;
const ACTIVITY_KINDS: Readonly<Record<string, BarKind>> = { t: 'trades', v: 'volume', n: 'notional' };

/** One --intervals entry, or undefined when it is neither a positive duration nor a positive <N>t|v|n. */
export function parseBarInterval(text: string): BarInterval | undefined {
  const trimmed = text.trim();
  const activity = ACTIVITY.exec(trimmed);
  if (activity !== null) {
    const size = Number(activity[1]);
    const suffix = activity[2] as string;
    if (!Number.isSafeInteger(size) || size <= 0) return undefined;
    return { kind: ACTIVITY_KINDS[suffix] as BarKind, size, label: `${size}${suffix}` };
  }
  const ms = parseDuration(trimmed);
  return ms === undefined ? undefined : timeInterval(ms);
}

export function timeInterval(ms: number): BarInterval {
  return { kind: 'time', size: ms, label: formatDuration(ms) };
}

export function isActivity(interval: BarInterval): boolean {
  return interval.kind !== 'time';
}
