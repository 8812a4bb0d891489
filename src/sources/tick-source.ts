// A source of ticks for `serve` besides /ingest: it hands valid ticks to the
// pipeline and dead letters to the server, and stops on request.

import type { Rejection } from '../records/rejection';
import type { ValidTick } from '../ingest/tick-validator';
import type { DeadLetterRecord } from '../records/records';
import type { Engine } from '../partition/engine';

export interface SourceContext {
  readonly pipeline: Engine;
  readonly deadLetter: (record: DeadLetterRecord) => void;
  /**
   * Asked before a tick goes to the engine: null, or why the server refuses
   * it (a timestamp too far ahead of its clock). Sources that stamp ticks
   * with the server's clock themselves need not ask.
   */
  readonly admit: (tick: ValidTick) => Rejection | null;
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  /** A line at debug level (`--log-level debug`): what operators only look at when measuring. */
  readonly debug: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface TickSource {
  /** What it is, for the start-up line and /health. */
  readonly description: string;
  /**
   * Whether a graceful shutdown makes every open window final. A file is
   * over when the server stops; a Kafka stream is not: its windows go on in
   * the engine that next owns the partition.
   */
  readonly finalOnDrain: boolean;
  start(): void;
  /** Stops producing; resolves when it has. */
  stop(): Promise<void>;
}
