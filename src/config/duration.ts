// Durations as users write them: "250ms", "30s", "1m", "1h"; a bare integer is
// milliseconds. Labels are canonical (the largest unit that divides evenly), so
// "60s" and "1m" name the same bar channel, `bars.1m.<SYM>`.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const PATTERN = /^(\d+)(ms|s|m|h)?$/;

/** Milliseconds, or undefined when `text` is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const match = PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const count = Number(match[1]);
  const unit = UNITS.find(([name]) => name === (match[2] ?? 'ms'));
  const ms = count * (unit === undefined ? 1 : unit[1]);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

export function formatDuration(ms: number): string {
  for (const [name, size] of UNITS) {
    if (ms % size === 0) return `${ms / size}${name}`;
  }
  return `${ms}ms`;
}
