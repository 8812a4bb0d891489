// A store reader thread (piscina task file): one read-only connection per
// thread, opened at the first task and kept, with its statements prepared
// once. WAL lets these read while the writer thread commits.

import { workerData } from 'node:worker_threads';
import { openReaderDatabase } from './open-database';
import { StoreQueries } from './store-queries';
import type { ReaderInit, ReadResult, ReadTask } from './store-protocol';

let queries: StoreQueries | null = null;

export default function readStore(task: ReadTask): ReadResult {
  // piscina hands its `workerData` option to each thread as worker_threads' workerData.
  queries ??= new StoreQueries(openReaderDatabase((workerData as ReaderInit).path));
  return queries.run(task);
}
