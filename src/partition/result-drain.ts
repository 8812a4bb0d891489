// The ingest thread's side of the out-rings: polls every partition's rings in
// turn and hands each record to a visitor. Accepted ticks come first, from
// their own echo ring, and all of them: a trade's subscribers should not
// wait behind a second's worth of closing bars. Other results come at most
// `limit` per partition per poll, so a caller can hand them on in slices.
// Flush reports are decoded here; a worker's FATAL record becomes a thrown
// error.
//
// Echoes and results are each in order; between them, order only matters for
// a FLUSHED answer, whose caller expects every trade before it handed on, so
// the partition's echoes are drained again before it.

import { ByteBuffer } from 'flatbuffers';
import { PartitionReport } from '../fb/generated/tickflow/ring/partition-report';
import type { RingConsumer } from '../ring/ring-consumer';
import { Msg } from './protocol';

export interface PartitionCounts {
  readonly accepted: number;
  readonly duplicate: number;
  readonly late: number;
  /** Trades the partition refused as out_of_range (they would overflow a bar). */
  readonly rejected: number;
  readonly bars: number;
  readonly indicators: number;
  readonly alerts: number;
  /** Ticks accepted as corrections, and the final records they emitted again. */
  readonly corrections: number;
  readonly revisions: number;
}

export interface ResultVisitor {
  /** A result record (BAR, INDICATOR, ALERT, DEAD_LETTER, ACCEPTED_TICK, CORRECTION) at bytes[offset, offset + size). */
  record(type: number, partition: number, bytes: Uint8Array, offset: number, size: number): void;
  /** A partition finished a FLUSH; its counters since start. */
  flushed(partition: number, counts: PartitionCounts): void;
}

export class ResultDrain {
  private readonly buffers: ByteBuffer[];
  private readonly report = new PartitionReport();
  private visitor: ResultVisitor | undefined;
  private partition = 0;
  private readonly onRecord = (type: number, offset: number, size: number): void => {
    const ring = this.outputs[this.partition] as RingConsumer;
    const visitor = this.visitor as ResultVisitor;
    if (type === Msg.FLUSHED || type === Msg.STOPPED) {
      if (type === Msg.STOPPED) return;
      this.pollEchoes(this.partition);
      const bb = this.buffers[this.partition] as ByteBuffer;
      bb.setPosition(offset);
      const r = PartitionReport.getRootAsPartitionReport(bb, this.report);
      visitor.flushed(this.partition, {
        accepted: r.accepted(),
        duplicate: r.duplicate(),
        late: r.late(),
        rejected: r.rejected(),
        bars: r.bars(),
        indicators: r.indicators(),
        alerts: r.alerts(),
        corrections: r.corrections(),
        revisions: r.revisions(),
      });
    } else if (type === Msg.FATAL) {
      const message = Buffer.from(ring.bytes.subarray(offset, offset + size)).toString('utf8');
      throw new Error(`partition ${this.partition} failed: ${message}`);
    } else {
      visitor.record(type, this.partition, ring.bytes, offset, size);
    }
  };

  private echoPartition = 0;
  private readonly onEcho = (type: number, offset: number, size: number): void => {
    const ring = this.echoes[this.echoPartition] as RingConsumer;
    (this.visitor as ResultVisitor).record(type, this.echoPartition, ring.bytes, offset, size);
  };

  constructor(
    private readonly outputs: readonly RingConsumer[],
    private readonly echoes: readonly RingConsumer[],
  ) {
    this.buffers = outputs.map((ring) => new ByteBuffer(ring.bytes));
  }

  /**
   * Hands every waiting accepted tick, and up to `limit` other results per
   * partition, to `visitor`; returns how many records.
   */
  poll(visitor: ResultVisitor, limit = 1024): number {
    this.visitor = visitor;
    let handled = 0;
    for (let p = 0; p < this.echoes.length; p++) handled += this.pollEchoes(p);
    for (this.partition = 0; this.partition < this.outputs.length; this.partition++) {
      handled += (this.outputs[this.partition] as RingConsumer).poll(this.onRecord, limit);
    }
    return handled;
  }

  /** Hands every waiting accepted tick, and nothing else, to `visitor`; returns how many. */
  pollTicks(visitor: ResultVisitor): number {
    this.visitor = visitor;
    let handled = 0;
    for (let p = 0; p < this.echoes.length; p++) handled += this.pollEchoes(p);
    return handled;
  }

  private pollEchoes(partition: number): number {
    const ring = this.echoes[partition];
    if (ring === undefined) return 0;
    const before = this.echoPartition;
    this.echoPartition = partition;
    let handled = 0;
    for (let n = ring.poll(this.onEcho); n > 0; n = ring.poll(this.onEcho)) handled += n;
    this.echoPartition = before;
    return handled;
  }

  /** Asked each time the drain loop parks: a plain loop, no callback per call. */
  hasWork(): boolean {
    for (const ring of this.outputs) if (!ring.isEmpty()) return true;
    for (const ring of this.echoes) if (!ring.isEmpty()) return true;
    return false;
  }

  /** Bytes waiting in each partition's out-ring and echo ring, for metrics. */
  occupancy(): { output: number[]; echo: number[] } {
    return { output: this.outputs.map((ring) => ring.occupancy()), echo: this.echoes.map((ring) => ring.occupancy()) };
  }
}
