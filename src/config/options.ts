// The typed configuration of every command: the single definition from which
// flags, TICKFLOW_* variables, config-file keys, --help and
// docs/configuration.md are all derived.

import { INPUT_FORMATS, type InputFormat } from '../records/records';
import { formatDuration, parseDuration } from './duration';
import { parseBarInterval, timeInterval, type BarInterval } from './bar-interval';
import { choice, custom, decimal, flag, integer, text, type CommandName, type Option } from './option';

const ENGINE = ['serve', 'replay'] as const;

/** `--partitions auto`: each command picks from the cores (src/partition/placement.ts applies the rule). */
export const AUTO_PARTITIONS = -1;
const AUTO_RULE = 'auto: serve runs inline below 4 cores and with cores - 2 workers from 4; replay uses cores - 1 workers (at least 1)';

function durationOption(spec: { flag: string; default: number; description: string; commands: readonly CommandName[] }): Option<number> {
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

export const options = {
  config: text({
    flag: 'config',
    default: '',
    defaultText: '(none)',
    cliOnly: true,
    commands: ['serve', 'replay', 'gen'],
    description: 'JSON file of option values keyed by flag name; flags and TICKFLOW_* variables override it.',
  }),
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
  ringKib: integer({
    flag: 'ring-kib',
    min: 4,
    max: 1 << 20,
    default: 1024,
    commands: ENGINE,
    description: 'Capacity of each ring buffer in KiB, rounded up to a power of two.',
  }),
  port: integer({
    flag: 'port',
    min: 0,
    max: 65_535,
    default: 9001,
    commands: ['serve'],
    description: 'Port for WebSocket and HTTP (0 picks a free one).',
  }),
  host: text({
    flag: 'host',
    default: '',
    defaultText: '127.0.0.1, or 0.0.0.0 with --token-file',
    allowEmpty: true,
    commands: ['serve'],
    description: 'Address to bind. Without a token file only 127.0.0.1 is allowed.',
  }),
  source: custom<string>({
    flag: 'source',
    default: 'synthetic',
    commands: ['serve'],
    kind: 'source',
    expected: 'synthetic, file:PATH, kafka or none',
    description: 'Where ticks come from besides /ingest: a synthetic feed, a file replayed at --speed, Kafka, or none.',
    parse: (raw) =>
      typeof raw === 'string' && (raw === 'synthetic' || raw === 'kafka' || raw === 'none' || (raw.startsWith('file:') && raw.length > 5))
        ? raw
        : undefined,
    show: String,
  }),
  speed: custom<number>({
    flag: 'speed',
    default: 1,
    commands: ['serve'],
    kind: 'N|max',
    expected: 'a number > 0 or max',
    description: 'Pace of a file source: event time runs N times faster than wall time, or max for as fast as possible.',
    parse: (raw) => {
      if (raw === 'max') return Infinity;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isFinite(n) && n > 0 ? n : undefined;
    },
    show: (v) => (v === Infinity ? 'max' : String(v)),
  }),
  db: text({
    flag: 'db',
    default: './data/tickflow.db',
    commands: ['serve'],
    description: 'SQLite file for final bars, indicators, alerts and dead letters; its folder is created if missing.',
  }),
  retention: custom<number>({
    flag: 'retention',
    default: 7 * 86_400_000,
    commands: ['serve'],
    kind: 'duration',
    expected: 'a duration such as 12h or 30d (d = days), or 0 to keep everything',
    description: 'How long the store keeps records, counted from when each was stored.',
    parse: (raw) => {
      const textValue = String(raw).trim();
      if (textValue === '0') return 0;
      const days = /^(\d+)d$/.exec(textValue);
      if (days !== null) return Number(days[1]) * 86_400_000 || undefined;
      return typeof raw === 'number' ? (raw >= 0 ? raw : undefined) : parseDuration(textValue);
    },
    show: (ms) => (ms === 0 ? '0' : ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : formatDuration(ms)),
  }),
  checkpointMs: integer({
    flag: 'checkpoint-ms',
    min: 0,
    default: 5000,
    commands: ['serve'],
    description: 'Processing time between checkpoints of engine state and source position (file and Kafka sources); 0 disables them.',
  }),
  kafkaBrokers: text({
    flag: 'kafka-brokers',
    default: '',
    defaultText: '(none: no mirror)',
    allowEmpty: true,
    commands: ['serve'],
    description: 'Comma-separated Kafka bootstrap brokers (host:port) for the kafka source and the result mirror.',
  }),
  kafkaGroup: text({
    flag: 'kafka-group',
    default: 'tickflow',
    commands: ['serve'],
    description: 'Consumer group of the kafka source; engines in one group share the input partitions.',
  }),
  outboxMax: integer({
    flag: 'outbox-max',
    min: 1000,
    default: 10_000_000,
    commands: ['serve'],
    description: 'Results kept in the local outbox while Kafka is away; past it the oldest are dropped and counted.',
  }),
  kafkaPartitions: integer({
    flag: 'kafka-partitions',
    min: 1,
    max: 10_000,
    default: 3,
    commands: ['serve'],
    description: 'Partitions of the output topics tickflow creates when they do not exist.',
  }),
  tokenFile: text({
    flag: 'token-file',
    default: '',
    defaultText: '(none: no auth, 127.0.0.1 only)',
    allowEmpty: true,
    commands: ['serve'],
    description: 'JSON file of hashed tokens with roles and symbol entitlements (docs/protocol.md).',
  }),
  tlsCert: text({
    flag: 'tls-cert',
    default: '',
    defaultText: '(none)',
    allowEmpty: true,
    commands: ['serve'],
    description: 'PEM certificate file; with --tls-key, serve wss:// and https://.',
  }),
  tlsKey: text({
    flag: 'tls-key',
    default: '',
    defaultText: '(none)',
    allowEmpty: true,
    commands: ['serve'],
    description: 'PEM private key file for --tls-cert.',
  }),
  maxFrameKib: integer({
    flag: 'max-frame-kib',
    min: 1,
    max: 64 * 1024,
    default: 1024,
    commands: ['serve'],
    description:
      'Largest message a client may send on /ingest, in KiB; a bigger one closes the connection with code 1009 ' +
      '(past twice this, at least 1 MiB, uWebSockets.js drops it without a close code).',
  }),
  maxChannels: integer({
    flag: 'max-channels',
    min: 1,
    default: 1000,
    commands: ['serve'],
    description: 'Channels one /ws connection may subscribe to.',
  }),
  rateLimit: integer({
    flag: 'rate-limit',
    min: 1,
    default: 100,
    commands: ['serve'],
    description: 'Messages per second a /ws client may send (bursts up to twice that).',
  }),
  ingestRateLimit: integer({
    flag: 'ingest-rate-limit',
    min: 0,
    default: 0,
    defaultText: '0 (unlimited)',
    commands: ['serve'],
    description: 'Ticks per second one /ingest publisher may send; ticks over it are rejected as rate_limited.',
  }),
  ingestRejectLimit: integer({
    flag: 'ingest-reject-limit',
    min: 0,
    default: 1000,
    commands: ['serve'],
    description:
      'Dead letters of one /ingest publisher stored and answered one by one per second (0: no limit); past it they are ' +
      'counted, and summed up in one stored dead letter and one error frame when the second ends.',
  }),
  ingestQueueKib: integer({
    flag: 'ingest-queue-kib',
    min: 1,
    max: 1024 * 1024,
    default: 64 * 1024,
    commands: ['serve'],
    description:
      'Frames one /ingest publisher may have sent but not yet had read, in KiB (a publisher is read a slice per turn of the ' +
      'event loop, and waits while a partition it sends to is full); past it the connection is closed with code 4009.',
  }),
  replayBuffer: integer({
    flag: 'replay-buffer',
    min: 0,
    default: 65_536,
    commands: ['serve'],
    description: 'Recent messages (all channels) kept in memory for resume, in an arena of 256 bytes a message.',
  }),
  slowClientKib: integer({
    flag: 'slow-client-kib',
    min: 1,
    default: 1024,
    commands: ['serve'],
    description: 'Unsent bytes at which a client is conflated: only the latest quote and forming bar per channel wait for it.',
  }),
  maxClientKib: integer({
    flag: 'max-client-kib',
    min: 1,
    default: 16_384,
    commands: ['serve'],
    description: 'Unsent bytes at which a client that still cannot keep up is closed with code 4008.',
  }),
  syntheticSymbols: integer({
    flag: 'synthetic-symbols',
    min: 1,
    max: 100_000,
    default: 50,
    commands: ['serve'],
    description: 'Symbols of the synthetic source.',
  }),
  syntheticRate: integer({
    flag: 'synthetic-rate',
    min: 1,
    max: 10_000_000,
    default: 1000,
    commands: ['serve'],
    description: 'Ticks per second of the synthetic source.',
  }),
  syntheticAnomalyRate: decimal({
    flag: 'synthetic-anomaly-rate',
    min: 0,
    default: 0.0005,
    commands: ['serve'],
    description: 'Probability per tick of an injected anomaly in the synthetic source.',
  }),
  logFormat: choice<'auto' | 'json' | 'text'>({
    flag: 'log-format',
    choices: ['auto', 'json', 'text'],
    default: 'auto',
    commands: ['serve'],
    description: 'Log lines on stderr: JSON objects, readable text, or auto (text on a terminal, JSON otherwise).',
  }),
  logLevel: choice<'debug' | 'info' | 'warn' | 'error'>({
    flag: 'log-level',
    choices: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    commands: ['serve'],
    description: 'Least severe level logged.',
  }),
  format: choice<'auto' | InputFormat>({
    flag: 'format',
    choices: ['auto', ...INPUT_FORMATS],
    default: 'auto',
    commands: ['replay'],
    description: 'Input encoding; auto picks by file extension (.csv, .fb) and content, else NDJSON.',
  }),
  out: text({
    flag: 'out',
    default: '-',
    commands: ['replay', 'gen'],
    description: 'Output file, or - for standard output.',
  }),
  outFormat: choice<'ndjson' | 'fb'>({
    flag: 'out-format',
    choices: ['ndjson', 'fb'],
    default: 'ndjson',
    commands: ['replay'],
    description:
      'Output encoding: NDJSON lines, or size-prefixed FlatBuffers of fbs/records.fbs (docs/semantics.md, "FlatBuffers output").',
  }),
  deadLetter: text({
    flag: 'dead-letter',
    default: '',
    defaultText: '(counted only)',
    allowEmpty: true,
    commands: ['replay'],
    description: 'NDJSON file for rejected, duplicate and late ticks, each with its reason.',
  }),
  symbols: integer({
    flag: 'symbols',
    min: 1,
    max: 1_000_000,
    default: 50,
    commands: ['gen'],
    description: 'Number of synthetic symbols.',
  }),
  rate: integer({
    flag: 'rate',
    min: 1,
    max: 100_000_000,
    default: 1000,
    commands: ['gen'],
    description: 'Ticks per second of event time (and of wall time with --realtime).',
  }),
  duration: durationOption({
    flag: 'duration',
    default: 60_000,
    commands: ['gen'],
    description: 'Event time the feed covers; ticks = rate x duration unless --count is given.',
  }),
  count: integer({
    flag: 'count',
    min: 0,
    default: 0,
    defaultText: '(rate x duration)',
    commands: ['gen'],
    description: 'Exact number of records to write, injected ones included; overrides --duration.',
  }),
  seed: integer({
    flag: 'seed',
    min: 0,
    max: 0xffffffff,
    default: 1,
    commands: ['gen'],
    description: 'Seed of the generator: the same seed and flags give the same bytes.',
  }),
  genFormat: choice<InputFormat>({
    flag: 'format',
    choices: INPUT_FORMATS,
    default: 'ndjson',
    commands: ['gen'],
    description: 'Output encoding (fb: one FlatBuffers TickBatch per 4096 ticks, each size-prefixed).',
  }),
  start: integer({
    flag: 'start',
    min: 946_684_800_000,
    max: 4_102_444_799_999,
    default: 1_704_205_800_000,
    defaultText: '1704205800000 (2024-01-02T14:30:00Z); now with --realtime',
    commands: ['gen'],
    description: 'Event time of the first tick, ms since the epoch.',
  }),
  tradeRatio: decimal({
    flag: 'trade-ratio',
    min: 0,
    default: 0.5,
    commands: ['gen'],
    description: 'Share of ticks that are trades, from 0 to 1; the rest are quotes and BBOs.',
  }),
  anomalyRate: decimal({
    flag: 'anomaly-rate',
    min: 0,
    default: 0,
    commands: ['gen'],
    description: 'Probability per tick of an injected anomaly: a price spike, a volume surge or a spread blow-out.',
  }),
  duplicateRate: decimal({
    flag: 'duplicate-rate',
    min: 0,
    default: 0,
    commands: ['gen'],
    description: 'Probability per tick of re-sending a recent tick (same exchange, symbol and seq).',
  }),
  lateRate: decimal({
    flag: 'late-rate',
    min: 0,
    default: 0,
    commands: ['gen'],
    description: "Probability per tick of a trade stamped 30-120 s behind its symbol's newest tick, which the engine drops as late.",
  }),
  invalidRate: decimal({
    flag: 'invalid-rate',
    min: 0,
    default: 0,
    commands: ['gen'],
    description: 'Probability per tick of a malformed record (bad type, range or syntax).',
  }),
  realtime: flag({
    flag: 'realtime',
    default: false,
    commands: ['gen'],
    description: 'Pace the output in wall-clock time at --rate, stamped with the current time.',
  }),
} as const;

export type Options = typeof options;
export type OptionKey = keyof Options;
export type ValueOf<K extends OptionKey> = ReturnType<Options[K]['defaultValue']>;
