// What /metrics reads of the /ingest endpoint. In a file of its own because
// the endpoint, its dead letters (ingest-dead-letters.ts) and its flushes
// (ingest-flush.ts) all count into it, and the latter two may not import the
// endpoint that uses them (no files import each other in a loop).

export class IngestCounters {
  connections = 0;
  frames = 0;
  ticks = 0;
  /** Flushes of a publisher's own symbols, and of every symbol (admin). */
  publisherFlushes = 0;
  allFlushes = 0;
  /** Times a publisher was told slow_down. */
  slowDowns = 0;
  /** Publishers closed with 4009 for passing --ingest-queue-kib. */
  queueCloses = 0;
  /** Dead letters counted but not stored or answered one by one (over --ingest-reject-limit). */
  unstoredDeadLetters = 0;
}
