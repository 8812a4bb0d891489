// Encoding of the ingest-to-worker ring records (fbs/ring.fbs). The ingest
// thread encodes, the worker decodes; both import this one module.

import { Builder, ByteBuffer } from 'flatbuffers';
import { NameKind } from '../fb/generated/tickflow/ring/name-kind';
import { RegisterName } from '../fb/generated/tickflow/ring/register-name';
import { RingTick } from '../fb/generated/tickflow/ring/ring-tick';
import type { TickFields } from '../analytics/tick-fields';

export { NameKind };

/**
 * Builds ring records into one reused Builder. forceDefaults makes every
 * field present, which the sentinel encoding of RingTick relies on (the
 * generated adders skip a value equal to the schema default otherwise).
 */
export class RingEncoder {
  private readonly builder = new Builder(256);

  constructor() {
    this.builder.forceDefaults(true);
  }

  tick(t: TickFields): Uint8Array {
    const b = this.builder;
    b.clear();
    RingTick.startRingTick(b);
    RingTick.addSymbolId(b, t.symbolId);
    RingTick.addExchangeId(b, t.exchangeId);
    RingTick.addEventType(b, t.eventType);
    RingTick.addTimestamp(b, t.timestamp);
    RingTick.addPrice(b, t.price);
    RingTick.addVolume(b, t.volume);
    RingTick.addBid(b, t.bid);
    RingTick.addAsk(b, t.ask);
    RingTick.addSeq(b, t.seq);
    RingTick.addSourceLine(b, t.sourceLine);
    RingTick.addIngestTime(b, t.ingestTime);
    RingTick.addDequeueTime(b, t.dequeueTime);
    RingTick.addEmitTime(b, t.emitTime);
    b.finish(RingTick.endRingTick(b));
    return b.asUint8Array();
  }

  registerName(kind: NameKind, id: number, name: string): Uint8Array {
    const b = this.builder;
    b.clear();
    const nameOffset = b.createString(name);
    b.finish(RegisterName.createRegisterName(b, kind, id, nameOffset));
    return b.asUint8Array();
  }
}

/** Reads ring records in place, through one ByteBuffer over the ring's bytes. */
export class RingDecoder {
  private readonly bb: ByteBuffer;
  private readonly tickView = new RingTick();
  private readonly nameView = new RegisterName();

  constructor(bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
  }

  tick(offset: number, out: TickFields): TickFields {
    this.bb.setPosition(offset);
    const t = RingTick.getRootAsRingTick(this.bb, this.tickView);
    out.symbolId = t.symbolId();
    out.exchangeId = t.exchangeId();
    out.eventType = t.eventType();
    out.timestamp = t.timestamp();
    out.price = t.price();
    out.volume = t.volume();
    out.bid = t.bid();
    out.ask = t.ask();
    out.seq = t.seq();
    out.sourceLine = t.sourceLine();
    out.ingestTime = t.ingestTime();
    out.dequeueTime = t.dequeueTime();
    out.emitTime = t.emitTime();
    return out;
  }

  registerName(offset: number): { kind: NameKind; id: number; name: string } {
    this.bb.setPosition(offset);
    const r = RegisterName.getRootAsRegisterName(this.bb, this.nameView);
    return { kind: r.kind(), id: r.id(), name: r.name() ?? '' };
  }
}
