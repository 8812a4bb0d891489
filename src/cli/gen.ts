// `tickflow gen`: writes a seeded synthetic feed (src/synthetic/) to --out as
// NDJSON, CSV or FlatBuffers, as fast as it goes, or with --realtime paced to
// --rate in wall-clock time and stamped from now. When injections are on, one
// line on stderr says what was injected, to compare with a replay's stats.

import type { Loaded } from '../config/load';
import { invalidOption } from '../config/invalid';
import { Feed } from '../synthetic/feed';
import type { FeedCounts } from '../synthetic/feed-counts';
import { feedOptions } from '../synthetic/gen-options';
import { createEncoder } from '../synthetic/encoders';
import type { TickEncoder } from '../synthetic/tick-encoder';
import { SyncWriter, closeFd, openOutput, sleepMs } from './sync-io';

export interface GenResult {
  readonly counts: FeedCounts;
  /** False when the reader went away (a closed pipe) before the end of the feed. */
  readonly complete: boolean;
}

/** Longest realtime pause, so a slow --rate still notices the clock often. */
const MAX_SLEEP_MS = 100;
/** Largest realtime batch: when generation falls behind the clock it catches up in pieces a reader can take. */
const MAX_BATCH = 4096;

function isBrokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * Writes record i once i * 1000 / rate ms of wall time have passed since the
 * first, in batches of whatever is due, each flushed so a reader at the other
 * end of a pipe sees ticks promptly.
 */
function writePaced(feed: Feed, encoder: TickEncoder, writer: SyncWriter, rate: number): void {
  const began = performance.now();
  const total = feed.total;
  let written = 0;
  while (written < total) {
    const elapsed = performance.now() - began;
    const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
    if (due > written) {
      const upTo = Math.min(due, written + MAX_BATCH);
      for (; written < upTo; written++) encoder.write(feed.next());
      encoder.flush();
      writer.flush();
    } else {
      const nextDue = (written * 1000) / rate;
      sleepMs(Math.min(MAX_SLEEP_MS, Math.max(1, Math.ceil(nextDue - elapsed))));
    }
  }
}

export async function runGen(loaded: Loaded, log: (line: string) => void): Promise<GenResult> {
  const { config } = loaded;
  const feed = new Feed(feedOptions(loaded, config.realtime ? Date.now() : config.start));
  let fd: number;
  try {
    fd = openOutput(config.out);
  } catch (err) {
    throw invalidOption(
      'out',
      config.out,
      `a writable file path or - (cannot open it for writing: ${(err as Error).message})`,
      loaded.origin.out,
    );
  }
  const writer = new SyncWriter(fd);
  const encoder = createEncoder(config.genFormat, writer);
  let complete = true;
  try {
    if (config.realtime) {
      writePaced(feed, encoder, writer, config.rate);
    } else {
      for (let n = feed.remaining; n > 0; n--) encoder.write(feed.next());
      encoder.flush();
    }
    writer.close();
  } catch (err) {
    // `tickflow gen | head` is a normal way to stop a feed.
    if (!isBrokenPipe(err)) throw err;
    complete = false;
    closeFd(fd);
  }
  const injecting = config.anomalyRate + config.duplicateRate + config.lateRate + config.invalidRate > 0;
  if (injecting) log(`tickflow gen: ${feed.counts.summary()}`);
  return { counts: feed.counts, complete };
}
