// `--source file:PATH`: replays a file (NDJSON, CSV or FlatBuffers) into the
// live engine, pacing it by event time: --speed N plays N seconds of event
// time per second, --speed max as fast as the engine takes it. At the end of
// the file every open window becomes final (a flush); the server keeps
// running for /ingest and subscribers.

import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises';
import { createDecoder, formatFromName, sniffFormat } from '../../cli/input-format';
import type { DecodedSink } from '../../ingest/decoded-sink';
import type { Rejection } from '../../ingest/rejection';
import { ValidTick } from '../../ingest/tick-validator';
import type { SourceContext, TickSource } from './tick-source';

const CHUNK_BYTES = 256 * 1024;

export class FileSource implements TickSource {
  readonly description: string;
  /** Resolves when the whole file has been read and flushed. */
  finished: Promise<void> = Promise.resolve();
  private stopping = false;
  private queue: ValidTick[] = [];
  private lines: number[] = [];

  constructor(private readonly context: SourceContext, private readonly path: string, private readonly speed: number) {
    this.description = `file ${path} at ${speed === Infinity ? 'max' : `${speed}x`} speed`;
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
          type: 'dead_letter', reason: rejection.reason, field: rejection.field, message: rejection.message, line,
          ...(raw === null ? {} : { raw }), ...(fields === null ? {} : { tick: fields }),
        });
      },
    };
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pacing: { wall: number; event: number } | null = null;
    try {
      let { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      const decoder = createDecoder(formatFromName(this.path) ?? sniffFormat(chunk.subarray(0, bytesRead)), sink);
      while (bytesRead > 0 && !this.stopping) {
        decoder.push(chunk.subarray(0, bytesRead));
        pacing = await this.play(pacing);
        ({ bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null));
      }
      decoder.end();
      await this.play(pacing);
    } finally {
      await handle.close();
    }
    if (this.stopping) return;
    pipeline.publish();
    await pipeline.flush();
    this.context.log('file source finished: every window is final', { path: this.path });
  }

  /** Sends the queued ticks, each no earlier than its event time allows at this speed. */
  private async play(pacing: { wall: number; event: number } | null): Promise<{ wall: number; event: number } | null> {
    const { pipeline } = this.context;
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
      pipeline.ingest(tick, this.lines[i] as number);
    }
    pipeline.publish();
    this.queue = [];
    this.lines = [];
    if (this.speed === Infinity) await nextTurn();
    return pacing;
  }
}
