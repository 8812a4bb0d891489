// A source of ticks for `serve` besides /ingest: it hands valid ticks to the
// pipeline and dead letters to the server, and stops on request.

import type { DeadLetterRecord } from '../../records/records';
import type { LivePipeline } from '../live-pipeline';

export interface SourceContext {
  readonly pipeline: LivePipeline;
  readonly deadLetter: (record: DeadLetterRecord) => void;
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
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
