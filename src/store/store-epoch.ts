// The epoch of the stored channels' seqs (bars, indicators, alerts), for
// resume (SPEC §3: seqs live in an epoch; a resume from another one is not
// recovered). Those seqs continue across restarts from the highest one
// stored (channel_seqs), so a client may resume them after a clean restart,
// when every seq published was stored first. A run that ended without a
// clean close (kill -9, a crash) may have published seqs it never stored,
// and the next run reuses them for other records: the epoch changes then.
//
//   epoch = <id of the store file> . <generation>
//
// The id is drawn once per file, so a store replaced by another (a restored
// backup, a new --db) is another epoch; the generation grows at every open
// that finds the previous run still marked as running. Writer thread only.

import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';

function get(db: Database, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
}

function set(db: Database, key: string, value: string): void {
  db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

/** At open: this run's epoch, the file marked as running. */
export function openEpoch(db: Database): string {
  return db
    .transaction((): string => {
      let id = get(db, 'store_id');
      if (id === undefined) {
        id = randomBytes(6).toString('hex');
        set(db, 'store_id', id);
      }
      let generation = Number(get(db, 'generation') ?? '0');
      if (generation === 0 || get(db, 'running') === '1') generation++;
      set(db, 'generation', String(generation));
      set(db, 'running', '1');
      return `${id}.${generation}`;
    })
    .immediate();
}

/** At a clean close, after every batch was committed: the next open keeps this epoch. */
export function closeEpoch(db: Database): void {
  set(db, 'running', '0');
}
