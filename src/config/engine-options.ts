// The options of the engine itself, shared by `serve` and `replay`: the
// partitions and where they run, the bars, windows and watermarks of SPEC §1,
// and the alert thresholds (options.ts gathers every command's).

import { formatDuration, parseDuration } from './duration';
import { parseBarInterval, timeInterval, type BarInterval } from './bar-interval';
import { custom, decimal, flag, integer, type CommandName, type Option } from './option';

const ENGINE = ['serve', 'replay'] as const;

/** `--partitions auto`: each command picks from the cores (src/partition/placement.ts applies the rule). */
export const AUTO_PARTITIONS = -1;
const AUTO_RULE = 'auto: serve runs inline below 4 cores and with cores - 2 workers from 4; replay uses cores - 1 workers (at least 1)';

/** `--ring-kib auto`: each command picks (ringKibFor). */
export const AUTO_RING = -1;
const RING_RULE =
  'auto: 8192 for replay, whose reading thread then runs further ahead of the workers (docs/benchmarks.md), and 1024 for serve';

/** Ring capacity in KiB for `command`: the configured size, or the rule's for AUTO_RING. */
export function ringKibFor(command: 'serve' | 'replay', configured: number): number {
  if (configured !== AUTO_RING) return configured;
  return command === 'replay' ? 8192 : 1024;
}

export function durationOption(spec: {
  flag: string;
  default: number;
  description: string;
  commands: readonly CommandName[];
}): Option<number> {
  return custom({
    ...spec,
    kind: 'duration',
    expected: 'a duration such as 500ms, 30s, 5m or 1h',
    parse: (raw) =>
      typeof raw === 'number'
        ? Number.isSafeInteger(raw) && raw > 0
          ? raw
          : undefined
        : typeof raw === 'string'
          ? parseDuration(raw)
          : undefined,
    show: formatDuration,
  });
}

export const engineOptions = {
  partitions: custom<number>({
    flag: 'partitions',
    default: AUTO_PARTITIONS,
    commands: ENGINE,
    kind: 'integer or auto',
    expected: 'auto, or an integer from 0 (inline) to 256',
    description:
      `Partition worker threads, each owning the symbols that hash to it; 0 runs the engine inline on the ` +
      `event-loop thread. ${AUTO_RULE}.`,
    parse: (raw) => {
      if (raw === 'auto') return AUTO_PARTITIONS;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isInteger(n) && n >= 0 && n <= 256 ? n : undefined;
    },
    show: (n) => (n === AUTO_PARTITIONS ? 'auto' : String(n)),
  }),
  pin: flag({
    flag: 'pin',
    default: true,
    commands: ENGINE,
    description: 'Pin each partition worker to its own CPU core (--no-pin to let the OS schedule them).',
  }),
  intervals: custom<readonly BarInterval[]>({
    flag: 'intervals',
    default: [1000, 60_000, 300_000].map(timeInterval),
    commands: ENGINE,
    kind: 'bar intervals',
    expected: 'distinct durations (1s,1m,5m) or activity sizes (500t, 100000v, 1000000n), comma-separated',
    description:
      'Bars: tumbling time bars aligned to the epoch (1s, 1m, 5m), and activity bars over settled trades every N trades (500t), ' +
      'N units of volume (100000v) or N of notional (1000000n).',
    parse: (raw) => {
      if (typeof raw !== 'string') return undefined;
      const list = raw.split(',').map((part) => parseBarInterval(part));
      if (list.length === 0 || list.some((entry) => entry === undefined)) return undefined;
      const entries = list as BarInterval[];
      return new Set(entries.map((entry) => entry.label)).size === entries.length ? entries : undefined;
    },
    show: (list) => list.map((entry) => entry.label).join(','),
  }),
  latenessMs: integer({
    flag: 'lateness-ms',
    min: 0,
    default: 5000,
    commands: ENGINE,
    description: "Allowed out-of-orderness: a symbol's watermark trails its newest tick by this much.",
  }),
  allowedLatenessMs: integer({
    flag: 'allowed-lateness-ms',
    min: 0,
    default: 0,
    commands: ENGINE,
    description:
      'Corrections: a tick up to this far behind its watermark is accepted and emits its final time bars and indicators again ' +
      'with "revision" one higher (0 turns corrections off; older ticks stay late).',
  }),
  idleCloseMs: integer({
    flag: 'idle-close-ms',
    min: 0,
    default: 2000,
    commands: ['serve'],
    description: "Processing time after a symbol's last tick before its watermark advances with the clock (0 disables).",
  }),
  maxFutureMs: integer({
    flag: 'max-future-ms',
    min: 0,
    default: 5000,
    commands: ['serve'],
    description:
      "Ticks stamped more than this ahead of the server's clock are rejected as future, so no feed can move a watermark into the future.",
  }),
  barUpdateMs: integer({
    flag: 'bar-update-ms',
    min: 0,
    default: 100,
    commands: ['serve'],
    description: 'Forming-bar updates to live subscribers are conflated to at most one per bar per this period.',
  }),
  alertWindow: durationOption({
    flag: 'alert-window',
    default: 300_000,
    commands: ENGINE,
    description: 'Trailing event-time window of the trade and quote statistics behind alerts.',
  }),
  indicatorWindow: durationOption({
    flag: 'indicator-window',
    default: 300_000,
    commands: ENGINE,
    description: 'Length of the sliding indicator windows; a multiple of --indicator-slide.',
  }),
  indicatorSlide: durationOption({
    flag: 'indicator-slide',
    default: 30_000,
    commands: ENGINE,
    description: 'Step between the starts of consecutive indicator windows.',
  }),
  spikeZscore: decimal({
    flag: 'spike-zscore',
    min: 0,
    default: 3.0,
    commands: ENGINE,
    description: "PRICE_SPIKE when a trade's price z-score exceeds this.",
  }),
  surgeRatio: decimal({
    flag: 'surge-ratio',
    min: 0,
    default: 5.0,
    commands: ENGINE,
    description: "VOLUME_SURGE when a trade's volume exceeds this multiple of the mean volume.",
  }),
  combinedZscore: decimal({
    flag: 'combined-zscore',
    min: 0,
    default: 2.0,
    commands: ENGINE,
    description: 'COMBINED_ANOMALY needs a price z-score above this ...',
  }),
  combinedRatio: decimal({
    flag: 'combined-ratio',
    min: 0,
    default: 3.0,
    commands: ENGINE,
    description: '... and a volume ratio above this.',
  }),
  spreadRatio: decimal({
    flag: 'spread-ratio',
    min: 0,
    default: 2.0,
    commands: ENGINE,
    description: "SPREAD_WIDENING when a quote's spread exceeds this multiple of the mean spread.",
  }),
  volatilityThreshold: decimal({
    flag: 'volatility-threshold',
    min: 0,
    default: 0.02,
    commands: ENGINE,
    description: "HIGH_VOLATILITY when an indicator window's (max - min) / mean exceeds this.",
  }),
  alertCooldownMs: integer({
    flag: 'alert-cooldown-ms',
    min: 0,
    default: 0,
    commands: ENGINE,
    description: 'Event time during which a repeat alert of the same symbol and type is suppressed (0: every match alerts).',
  }),
  idleSpinUs: integer({
    flag: 'idle-spin-us',
    min: 0,
    max: 1_000_000,
    default: 0,
    commands: ['serve'],
    description:
      'How long a partition worker keeps polling its ring for the next tick before it parks, in microseconds: a faster ' +
      'hand-off for a core kept busy, worth it only when each worker has a core of its own (0: park at once).',
  }),
  ringKib: custom<number>({
    flag: 'ring-kib',
    default: AUTO_RING,
    commands: ENGINE,
    kind: 'integer or auto',
    expected: 'auto, or an integer from 4 to 1048576',
    description: `Capacity of each ring buffer in KiB, rounded up to a power of two. ${RING_RULE}.`,
    parse: (raw) => {
      if (raw === 'auto') return AUTO_RING;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isInteger(n) && n >= 4 && n <= 1 << 20 ? n : undefined;
    },
    show: (n) => (n === AUTO_RING ? 'auto' : String(n)),
  }),
} as const;
