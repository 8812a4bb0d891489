// Encoding of the ingest-to-worker ring records (fbs/ring.fbs). The ingest
// thread encodes, the worker decodes; both import this one module.

import { Builder, ByteBuffer } from 'flatbuffers';
import { NameKind } from '../fb/generated/tickflow/ring/name-kind';
import { RegisterName } from '../fb/generated/tickflow/ring/register-name';
import { RingTick } from '../fb/generated/tickflow/ring/ring-tick';
import { TickFields } from '../records/tick-fields';

export { NameKind };

/**
 * Builds ring records into one reused Builder. forceDefaults makes every
 * field present, which the sentinel encoding of RingTick relies on (the
 * generated adders skip a value equal to the schema default otherwise).
 */
export class RingEncoder {
  private readonly builder = new Builder(256);

  tick(t: TickFields): Uint8Array {
    const b = this.builder;
    // clear() also resets forceDefaults.
    b.clear();
    b.forceDefaults(true);
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
    RingTick.addOrigin(b, t.origin);
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

/**
 * Writes a RingTick straight into a ring without a Builder. Every field is
 * a scalar and always present, so the Builder's output has the same layout
 * for every tick: a template built once, copied, and its values overwritten
 * at field positions read from the template's own vtable. The bytes equal
 * what RingEncoder.tick gives (tested).
 */
/** RingTick's fields, in schema (slot) order. */
const FIELDS = 13;

/** Where the forced-defaults RingTick keeps each field: one layout for every tick. */
interface RingTickLayout {
  readonly template: Uint8Array;
  /** Absolute position of each field, in schema order. */
  readonly pos: Int32Array;
  /** The first four bytes of the template (root offset) and of its vtable (vtable and table sizes), and the table's vtable offset. */
  readonly root: number;
  readonly vtableHead: number;
  readonly soffset: number;
}

let layout: RingTickLayout | null = null;

function ringTickLayout(): RingTickLayout {
  if (layout !== null) return layout;
  const template = new RingEncoder().tick(new TickFields()).slice();
  const view = new DataView(template.buffer, template.byteOffset, template.byteLength);
  const table = view.getUint32(0, true);
  const soffset = view.getInt32(table, true);
  const vtable = table - soffset;
  const pos = new Int32Array(FIELDS);
  for (let i = 0; i < FIELDS; i++) {
    const offset = view.getUint16(vtable + 4 + 2 * i, true);
    if (offset === 0) throw new Error(`RingTick field ${i} missing from the template`);
    pos[i] = table + offset;
  }
  layout = { template, pos, root: table, vtableHead: view.getUint32(vtable, true), soffset };
  return layout;
}

export class RingTickWriter {
  readonly length: number;
  private readonly template: Uint8Array;
  private readonly pos: Int32Array;

  constructor() {
    const { template, pos } = ringTickLayout();
    this.template = template;
    this.length = template.length;
    this.pos = pos;
  }

  /** Writes `t` at `at` in `bytes` (viewed by `view`); the caller has claimed this.length bytes there. */
  write(bytes: Uint8Array, view: DataView, at: number, t: TickFields): void {
    bytes.set(this.template, at);
    const p = this.pos;
    view.setUint32(at + (p[0] as number), t.symbolId, true);
    view.setUint32(at + (p[1] as number), t.exchangeId, true);
    view.setInt8(at + (p[2] as number), t.eventType);
    view.setFloat64(at + (p[3] as number), t.timestamp, true);
    view.setFloat64(at + (p[4] as number), t.price, true);
    view.setFloat64(at + (p[5] as number), t.volume, true);
    view.setFloat64(at + (p[6] as number), t.bid, true);
    view.setFloat64(at + (p[7] as number), t.ask, true);
    view.setFloat64(at + (p[8] as number), t.seq, true);
    view.setFloat64(at + (p[9] as number), t.origin, true);
    view.setFloat64(at + (p[10] as number), t.ingestTime, true);
    view.setFloat64(at + (p[11] as number), t.dequeueTime, true);
    view.setFloat64(at + (p[12] as number), t.emitTime, true);
  }
}

/** Reads ring records in place, through one ByteBuffer over the ring's bytes. */
export class RingDecoder {
  private readonly bb: ByteBuffer;
  private readonly tickView = new RingTick();
  private readonly nameView = new RegisterName();

  private readonly view: DataView;
  private readonly layout = ringTickLayout();

  constructor(bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * A RingTick in the one layout the writers produce is read at fixed
   * positions; anything else through the generated accessors.
   */
  tick(offset: number, out: TickFields): TickFields {
    const v = this.view;
    const l = this.layout;
    if (
      v.getUint32(offset, true) === l.root &&
      v.getInt32(offset + l.root, true) === l.soffset &&
      v.getUint32(offset + l.root - l.soffset, true) === l.vtableHead
    ) {
      const p = l.pos;
      out.symbolId = v.getUint32(offset + (p[0] as number), true);
      out.exchangeId = v.getUint32(offset + (p[1] as number), true);
      out.eventType = v.getInt8(offset + (p[2] as number));
      out.timestamp = v.getFloat64(offset + (p[3] as number), true);
      out.price = v.getFloat64(offset + (p[4] as number), true);
      out.volume = v.getFloat64(offset + (p[5] as number), true);
      out.bid = v.getFloat64(offset + (p[6] as number), true);
      out.ask = v.getFloat64(offset + (p[7] as number), true);
      out.seq = v.getFloat64(offset + (p[8] as number), true);
      out.origin = v.getFloat64(offset + (p[9] as number), true);
      out.ingestTime = v.getFloat64(offset + (p[10] as number), true);
      out.dequeueTime = v.getFloat64(offset + (p[11] as number), true);
      out.emitTime = v.getFloat64(offset + (p[12] as number), true);
      return out;
    }
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
    out.origin = t.origin();
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
