// What crosses between the main thread and the Kafka mirror thread.

export interface MirrorInit {
  /** The store's SQLite file, whose outbox the mirror drains. */
  readonly dbPath: string;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly transactionalId: string;
  readonly maxRows: number;
  readonly topicPartitions: number;
}

export interface MirrorReport {
  readonly sent: number;
  readonly recovered: number;
  readonly dropped: number;
  readonly failures: number;
  readonly connected: boolean;
  readonly depth: number;
  readonly lagMs: number;
  readonly lastError: string;
}

export type ToMirror = { readonly kind: 'stop' };
export type FromMirror = { readonly kind: 'report'; readonly report: MirrorReport } | { readonly kind: 'stopped' };
