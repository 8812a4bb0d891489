// The outbox table as the mirror thread uses it (schema in
// src/store/migrations.ts, rows written by the store's writer thread in the
// same transaction as the records they mirror).

import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';

export interface OutboxRow {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: string;
  readonly enqueued_at: number;
}

export class OutboxTable {
  private readonly db: Database.Database;
  private readonly next: Statement<[number, number], OutboxRow>;
  private readonly removeThrough: Statement<[number]>;
  private readonly bounds: Statement<[], { first: number | null; last: number | null; oldest: number | null }>;
  private readonly dropOldest: Statement<[number]>;

  constructor(path: string) {
    this.db = new Database(path, { fileMustExist: true, timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.next = this.db.prepare('SELECT id, topic, key, value, headers, enqueued_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.removeThrough = this.db.prepare('DELETE FROM outbox WHERE id <= ?');
    this.bounds = this.db.prepare(`SELECT min(id) AS first, max(id) AS last,
      (SELECT enqueued_at FROM outbox ORDER BY id LIMIT 1) AS oldest FROM outbox`);
    this.dropOldest = this.db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)');
  }

  /** Rows after `afterId`, oldest first. */
  after(afterId: number, limit: number): OutboxRow[] {
    return this.next.all(afterId, limit);
  }

  /** Forgets every row up to and including `id` (it is in Kafka). */
  removeUpTo(id: number): void {
    this.removeThrough.run(id);
  }

  /** Rows waiting and the enqueue time of the oldest (ids are consecutive, so the depth is last - first + 1). */
  depth(): { rows: number; oldest: number | null } {
    const b = this.bounds.get();
    if (b === undefined || b.first === null || b.last === null) return { rows: 0, oldest: null };
    return { rows: b.last - b.first + 1, oldest: b.oldest };
  }

  /** Keeps the outbox at `max` rows by deleting the oldest; returns how many it deleted. */
  bound(max: number): number {
    const { rows } = this.depth();
    if (rows <= max) return 0;
    return this.dropOldest.run(rows - max).changes;
  }

  close(): void {
    this.db.close();
  }
}
