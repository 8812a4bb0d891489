// A checkpoint spread over several turns of its partition, so that encoding
// never holds the partition for long (docs/durability.md, "Costs").
//
// A checkpoint is of the state at its request's place in the partition's
// records. At the request, a CHECKPOINT_MARK goes out at once: the results
// before it are the ones that state covers (the Kafka source splits its
// transactions there). Each symbol asked for is then due: the partition
// writes due symbols in slices of at most SLICE_MS between its records, and
// a tick (or idle closing) about to change a due symbol has it written
// first (PartitionEngine.beforeChange), so every symbol goes in as it was at
// the request. Once all are written the checkpoint leaves as chunks, also a
// slice at a time. Flushes, watermark resets, restores and stops finish the
// checkpoints in progress first, as they change symbols wholesale.
//
// Requests that come back to back (one per input partition a Kafka engine
// owns, each for its own symbols) are in progress together; one that asks
// for a symbol still due in another finishes the others first.

import type { PartitionEngine } from '../analytics/partition-engine';
import type { SymbolState } from '../analytics/symbol-state';
import type { RingProducer } from '../ring/ring-producer';
import { CheckpointEncoder } from './checkpoint-codec';
import { ChunkWriter } from './chunks';
import { Msg } from './protocol';

/** The longest a slice of checkpoint work runs before the partition takes its next records (ms). */
export const SLICE_MS = 0.5;

interface Capture {
  readonly id: number;
  /** What `captureDue` holds on its symbols until they are written. */
  readonly number: number;
  readonly states: readonly SymbolState[];
  /** The next of `states` to look at. */
  next: number;
  readonly encoder: CheckpointEncoder;
  /** Once every symbol is written: the chunks going out. */
  writer: ChunkWriter | null;
  stateBytes: number;
  /** The longest the partition was held for it at once (µs). */
  longestUs: number;
}

/** The payload of a CHECKPOINT_MARK: the checkpoint's id. */
export function markPayload(id: number): Uint8Array {
  return new Uint8Array(Uint32Array.of(id).buffer);
}

export function decodeMark(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0, true);
}

export class CheckpointCapture {
  private readonly captures: Capture[] = [];
  private numbers = 0;

  constructor(
    engine: PartitionEngine,
    private readonly output: RingProducer,
    private readonly exchangeName: (id: number) => string,
    /** Waits until the out-ring has room for a record as large as it takes. */
    private readonly waitForSpace: () => void,
  ) {
    engine.beforeChange = (state) => this.writeNow(state);
  }

  /** A checkpoint is in progress: the partition should come back to it before parking. */
  get busy(): boolean {
    return this.captures.length > 0;
  }

  /** Starts checkpoint `id` of `states` as they are now. */
  begin(id: number, states: readonly SymbolState[], rotation: number): void {
    const mark = markPayload(id);
    while (!this.output.write(Msg.CHECKPOINT_MARK, mark)) this.waitForSpace();
    if (states.some((state) => state.captureDue !== 0)) this.finishAll();
    const number = ++this.numbers;
    for (const state of states) state.captureDue = number;
    const encoder = new CheckpointEncoder(this.exchangeName, rotation);
    this.captures.push({ id, number, states, next: 0, encoder, writer: null, stateBytes: 0, longestUs: 0 });
  }

  /**
   * Works on the checkpoints in progress for about `budgetMs` at most;
   * false when they are waiting for room in the out-ring.
   */
  slice(budgetMs: number): boolean {
    const started = performance.now();
    const deadline = started + budgetMs;
    let moving = true;
    while (moving && this.captures.length > 0 && performance.now() < deadline) moving = this.step(deadline, started);
    this.held(started);
    return moving;
  }

  /** Finishes every checkpoint in progress, now. */
  finishAll(): void {
    if (this.captures.length === 0) return;
    const started = performance.now();
    while (this.captures.length > 0) this.step(Infinity, started);
  }

  /**
   * Moves the oldest checkpoint on until `deadline`: its due symbols, then
   * its chunks. False when it could not go on: the out-ring has no room for
   * its next chunk, and a slice (`deadline` finite) does not wait for it.
   */
  private step(deadline: number, started: number): boolean {
    const capture = this.captures[0] as Capture;
    if (capture.writer === null) {
      while (capture.next < capture.states.length) {
        const state = capture.states[capture.next++] as SymbolState;
        if (state.captureDue === capture.number) this.write(capture, state);
        if (performance.now() >= deadline) return true;
      }
      const { data, stateBytes } = capture.encoder.finish();
      capture.stateBytes = stateBytes;
      capture.writer = new ChunkWriter(this.output, Msg.CHECKPOINT_CHUNK, capture.id, data, this.waitForSpace);
    }
    const writer = capture.writer;
    const heldUs = (): number => Math.max(capture.longestUs, Math.round((performance.now() - started) * 1000));
    const wait = deadline === Infinity;
    while (!writer.done) {
      if (!writer.next(heldUs, capture.stateBytes, wait)) return false;
      if (!writer.done && performance.now() >= deadline) return true;
    }
    capture.encoder.release();
    this.captures.shift();
    return true;
  }

  /** A due symbol is about to change: written now, as it was. */
  private writeNow(state: SymbolState): void {
    const capture = this.captures.find((c) => c.number === state.captureDue);
    if (capture === undefined) {
      state.captureDue = 0;
      return;
    }
    const started = performance.now();
    this.write(capture, state);
    capture.longestUs = Math.max(capture.longestUs, Math.round((performance.now() - started) * 1000));
  }

  private write(capture: Capture, state: SymbolState): void {
    state.captureDue = 0;
    capture.encoder.add(state);
  }

  /** A slice that began at `started` ended: the longest hold of each checkpoint still in progress. */
  private held(started: number): void {
    const us = Math.round((performance.now() - started) * 1000);
    for (const capture of this.captures) if (us > capture.longestUs) capture.longestUs = us;
  }
}
