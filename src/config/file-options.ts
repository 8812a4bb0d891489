// The options of the file commands, `tickflow replay` (input and output
// encodings, dead letters) and `tickflow gen` (the synthetic feed).

import { INPUT_FORMATS, type InputFormat } from '../records/records';
import { choice, decimal, flag, integer, text } from './option';
import { durationOption } from './engine-options';

export const fileOptions = {
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
