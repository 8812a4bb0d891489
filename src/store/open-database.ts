// Opening the store's SQLite file, for the writer (read-write, creates it)
// and for the readers (read-only). Failures become StoreErrors that name the
// file and say what to do.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors';

/**
 * How long a connection waits for another one's lock before failing with
 * SQLITE_BUSY. In WAL mode readers never block the writer; this covers a
 * second process (a backup, another tickflow) holding the write lock.
 */
export const BUSY_TIMEOUT_MS = 5000;

function describe(path: string, error: unknown): StoreError {
  const code = (error as { code?: unknown }).code;
  const message = (error as Error).message;
  if (code === 'SQLITE_NOTADB') {
    return new StoreError(`${path} is not a SQLite database (${message}); move the file away or choose another --db path`);
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY') {
    return new StoreError(
      `cannot open the store ${path} for writing (${message}); check the file's permissions or choose another --db path`,
    );
  }
  return new StoreError(`cannot open the store ${path}: ${message}; check the file or choose another --db path`);
}

/** The writer's connection: creates the folder and file, WAL mode, synchronous=NORMAL. */
export function openWriterDatabase(path: string): Database.Database {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new StoreError(
      `cannot create the folder ${folder} for the store ${path} (${(error as Error).message}); create it or choose another --db path`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    // The first statement reads the header, so a file that is not SQLite fails here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL is needed (is the file on a network file system?)`);
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a power
    // loss may lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (error) {
    db?.close();
    throw describe(path, error);
  }
}

/** A reader's connection. The writer has already created and migrated the file. */
export function openReaderDatabase(path: string): Database.Database {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    db.pragma('query_only = ON');
    return db;
  } catch (error) {
    throw describe(path, error);
  }
}
