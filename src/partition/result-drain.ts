// The ingest thread's side of the out-rings: polls every partition's ring in
// turn and hands each result record to a visitor. Flush reports are decoded
// here; a worker's FATAL record becomes a thrown error.

import { ByteBuffer } from 'flatbuffers';
import { PartitionReport } from '../fb/generated/tickflow/ring/partition-report';
import type { RingConsumer } from '../ring/ring-consumer';
import { Msg } from './protocol';

export interface PartitionCounts {
  readonly accepted: number;
  readonly duplicate: number;
  readonly late: number;
  readonly bars: number;
  readonly indicators: number;
  readonly alerts: number;
}

export interface ResultVisitor {
  /** A result record (BAR, INDICATOR, ALERT, DEAD_LETTER, ACCEPTED_TICK) at bytes[offset, offset + size). */
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
      const bb = this.buffers[this.partition] as ByteBuffer;
      bb.setPosition(offset);
      const r = PartitionReport.getRootAsPartitionReport(bb, this.report);
      visitor.flushed(this.partition, {
        accepted: r.accepted(), duplicate: r.duplicate(), late: r.late(), bars: r.bars(), indicators: r.indicators(), alerts: r.alerts(),
      });
    } else if (type === Msg.FATAL) {
      const message = Buffer.from(ring.bytes.subarray(offset, offset + size)).toString('utf8');
      throw new Error(`partition ${this.partition} failed: ${message}`);
    } else {
      visitor.record(type, this.partition, ring.bytes, offset, size);
    }
  };

  constructor(private readonly outputs: readonly RingConsumer[]) {
    this.buffers = outputs.map((ring) => new ByteBuffer(ring.bytes));
  }

  /** Hands every waiting record (up to `limit` per partition) to `visitor`; returns how many. */
  poll(visitor: ResultVisitor, limit = 1024): number {
    this.visitor = visitor;
    let handled = 0;
    for (this.partition = 0; this.partition < this.outputs.length; this.partition++) {
      handled += (this.outputs[this.partition] as RingConsumer).poll(this.onRecord, limit);
    }
    return handled;
  }

  /** Asked each time the drain loop parks: a plain loop, no callback per call. */
  hasWork(): boolean {
    for (const ring of this.outputs) if (!ring.isEmpty()) return true;
    return false;
  }

  /** Bytes waiting in each out-ring, for metrics. */
  occupancy(): number[] {
    return this.outputs.map((ring) => ring.occupancy());
  }
}
