// The options of `tickflow serve` beyond the engine's: the port and its
// limits, the source, the store, Kafka, access and logging.

import { choice, custom, decimal, integer, text } from './option';
import { formatDuration, parseDuration } from './duration';

export const serveOptions = {
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
} as const;
