// `--source file:PATH`: replays a file (NDJSON, CSV or FlatBuffers) into the
// live engine, pacing it by event time: --speed N plays N seconds of event
// time per second, --speed max as fast as the engine takes it. At the end of
// the file every open window becomes final (a flush); the server keeps
// running for /ingest and subscribers.
//
// Every --checkpoint-ms it checkpoints, between chunks: the engine's state
// after every tick read so far, with the byte offset and line count that
// follow them. After a crash the next start restores that state and reads on
// from that offset, so no tick is applied twice and none is skipped.
// Checkpoints are incremental (checkpoint-chain.ts): the store keeps the last
// few, and a restore applies them in order.

import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises';
import { createDecoder, formatFromName, sniffFormat, type InputFormat } from '../ingest/input-format';
import type { DecodedSink, TickDecoder } from '../ingest/decoded-sink';
import type { Rejection } from '../records/rejection';
import { ValidTick, tickRecord } from '../ingest/tick-validator';
import type { StoredRecord } from '../store/store-protocol';
import { joinCheckpoint, splitCheckpoint } from './checkpoint-blob';
import type { SourceContext, TickSource } from './tick-source';

const CHUNK_BYTES = 256 * 1024;

/** Where a file source stands: what a checkpoint records next to the engine state. */
interface FilePosition {
  /** Bytes read and fully dispatched. */
  readonly offset: number;
  /** Lines (or FlatBuffers ticks) read up to there. */
  readonly records: number;
  /** True once the end of the file was reached and flushed. */
  readonly finished: boolean;
}

export interface FileCheckpoints {
  /** The checkpoints kept, oldest first, and the latest position. */
  load(source: string): Promise<{ position: string; states: readonly Uint8Array[] } | null>;
  write(record: StoredRecord): void;
}

export class FileSource implements TickSource {
  readonly description: string;
  readonly finalOnDrain = true;
  /** Resolves when the whole file has been read and flushed. */
  finished: Promise<void> = Promise.resolve();
  private stopping = false;
  private queue: ValidTick[] = [];
  private lines: number[] = [];
  private readonly source: string;

  constructor(
    private readonly context: SourceContext,
    private readonly path: string,
    private readonly speed: number,
    private readonly checkpoints: FileCheckpoints | null = null,
    private readonly checkpointMs = 0,
    /** Checkpoints in a rotation of whole series, each restored after the ones before it (checkpoint-chain.ts). */
    private readonly rotation = 1,
  ) {
    this.description = `file ${path} at ${speed === Infinity ? 'max' : `${speed}x`} speed`;
    this.source = `file:${resolve(path)}`;
  }

  start(): void {
    this.finished = this.run().catch((err: unknown) => {
      this.context.log('file source failed', { path: this.path, error: (err as Error).message });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.finished;
  }

  private async run(): Promise<void> {
    const { pipeline, deadLetter } = this.context;
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      throw new Error(`cannot open ${this.path}: ${(err as Error).message}`);
    }
    const sink: DecodedSink = {
      tick: (tick: ValidTick, line: number) => {
        this.queue.push(Object.assign(new ValidTick(), tick));
        this.lines.push(line);
      },
      reject: (rejection: Rejection, line: number, raw: string | null, fields: Record<string, unknown> | null) => {
        deadLetter({
          type: 'dead_letter',
          reason: rejection.reason,
          field: rejection.field,
          message: rejection.message,
          line,
          ...(raw === null ? {} : { raw }),
          ...(fields === null ? {} : { tick: fields }),
        });
      },
    };
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pacing: { wall: number; event: number } | null = null;
    try {
      let { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, 0);
      const format = formatFromName(this.path) ?? sniffFormat(chunk.subarray(0, bytesRead));
      const decoder = createDecoder(format, sink);
      let position = await this.resume(format, chunk, bytesRead, decoder);
      if (position.finished) {
        this.context.log('file source already finished before the restart; nothing to read', { path: this.path });
        return;
      }
      let lastCheckpoint = Date.now();
      // Explicit positions throughout: a positioned read does not move the
      // file's own offset, so a read "from the current position" would start over.
      let read = position.offset;
      ({ bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, read));
      while (bytesRead > 0 && !this.stopping) {
        read += bytesRead;
        decoder.push(chunk.subarray(0, bytesRead));
        pacing = await this.play(pacing);
        position = { offset: read - decoder.pendingBytes(), records: decoder.recordsRead(), finished: false };
        if (this.checkpointMs > 0 && Date.now() - lastCheckpoint >= this.checkpointMs) {
          await this.checkpoint(position);
          lastCheckpoint = Date.now();
        }
        ({ bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, read));
      }
      if (this.stopping) return;
      decoder.end();
      await this.play(pacing);
      pipeline.publish();
      await pipeline.requests.flush();
      await this.checkpoint({ offset: read, records: decoder.recordsRead(), finished: true });
    } finally {
      await handle.close();
    }
    this.context.log('file source finished: every window is final', { path: this.path });
  }

  /**
   * Restores the latest checkpoint of this file, if any: the engine state,
   * then the decoder's numbering (and a CSV header). Returns where to read on.
   */
  private async resume(format: InputFormat, first: Buffer, firstBytes: number, decoder: TickDecoder): Promise<FilePosition> {
    const start: FilePosition = { offset: 0, records: 0, finished: false };
    const saved = await this.checkpoints?.load(this.source);
    if (saved === null || saved === undefined) return start;
    const position = JSON.parse(saved.position) as FilePosition;
    const size = (await stat(this.path)).size;
    if (position.offset > size) {
      this.context.log('checkpoint ignored: the file is shorter than the checkpoint says', {
        path: this.path,
        offset: position.offset,
        size,
      });
      return start;
    }
    // One restore: every partition applies the checkpoints' parts in this order.
    await this.context.pipeline.requests.restore(saved.states.flatMap((state) => splitCheckpoint(state)));
    if (format === 'csv' && position.offset > 0) {
      const header = first.subarray(0, firstBytes);
      const end = header.indexOf(0x0a);
      decoder.push(header.subarray(0, end === -1 ? header.length : end + 1));
    }
    decoder.resumeAt(position.records);
    this.context.log('restored from checkpoint', {
      path: this.path,
      offset: position.offset,
      records: position.records,
      checkpoints: saved.states.length,
    });
    return position;
  }

  private async checkpoint(position: FilePosition): Promise<void> {
    if (this.checkpoints === null) return;
    const requestedAt = Date.now();
    const parts = await this.context.pipeline.requests.checkpoint(null, this.rotation);
    const state = joinCheckpoint(parts);
    // When each checkpoint was in progress, for measuring what it costs live ticks (npm run bench -- checkpoints).
    this.context.debug('checkpoint taken', { requested_at: requestedAt, answered_at: Date.now(), bytes: state.length });
    // The store takes the state's buffer (it is not copied to its thread): nothing here reads it after.
    this.checkpoints.write({ kind: 'checkpoint', source: this.source, position: JSON.stringify(position), state, keep: this.rotation });
  }

  /** Sends the queued ticks, each no earlier than its event time allows at this speed. */
  private async play(pacing: { wall: number; event: number } | null): Promise<{ wall: number; event: number } | null> {
    const { pipeline, admit, deadLetter } = this.context;
    for (let i = 0; i < this.queue.length && !this.stopping; i++) {
      const tick = this.queue[i] as ValidTick;
      if (this.speed !== Infinity) {
        pacing ??= { wall: Date.now(), event: tick.timestamp };
        const due = pacing.wall + (tick.timestamp - pacing.event) / this.speed;
        const wait = due - Date.now();
        if (wait > 1) {
          pipeline.publish();
          await sleep(wait);
        }
      }
      const refused = admit(tick);
      if (refused === null) {
        pipeline.ingest(tick, this.lines[i] as number);
      } else {
        deadLetter({
          type: 'dead_letter',
          reason: refused.reason,
          field: refused.field,
          message: refused.message,
          line: this.lines[i] as number,
          tick: tickRecord(tick),
        });
      }
    }
    pipeline.publish();
    this.queue = [];
    this.lines = [];
    if (this.speed === Infinity) await nextTurn();
    return pacing;
  }
}
