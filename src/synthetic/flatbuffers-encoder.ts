// FlatBuffers output: a stream of size-prefixed TickBatch buffers
// (fbs/tick.fbs) of at most BATCH_TICKS ticks, each with the "TFTB" file
// identifier, which src/ingest/flatbuffers-decoder.ts reads one batch at a
// time. One Builder is reused for every batch; symbol and exchange strings
// are shared within a batch.

import { Builder } from 'flatbuffers';
import { Tick } from '../fb/generated/tickflow/fb/tick';
import { TickBatch } from '../fb/generated/tickflow/fb/tick-batch';
import { TICK_BATCH_IDENTIFIER } from '../ingest/flatbuffers-decoder';
import { Flaw, FLAW_NAMES } from './flaw';
import type { GenTick } from './gen-tick';
import type { EncoderOutput, TickEncoder } from './tick-encoder';

export const BATCH_TICKS = 4096;
const INITIAL_BUILDER_BYTES = 512 * 1024;

export class FlatBuffersEncoder implements TickEncoder {
  private readonly builder = new Builder(INITIAL_BUILDER_BYTES);
  private readonly offsets: Int32Array;
  private count = 0;

  constructor(
    private readonly out: EncoderOutput,
    private readonly batchTicks = BATCH_TICKS,
  ) {
    this.offsets = new Int32Array(batchTicks);
    this.startBatch();
  }

  write(t: GenTick): void {
    if (t.flaw === Flaw.UNPARSABLE || t.flaw === Flaw.NUMBER_AS_STRING || (t.volume === t.volume && !Number.isInteger(t.volume))) {
      throw new Error(`FlatBuffers cannot carry a ${FLAW_NAMES[t.flaw]} tick; the feed must draw from SCHEMA_FLAWS`);
    }
    const b = this.builder;
    const symbol = b.createSharedString(t.symbol);
    // createSharedString gives offset 0 (no string) for "", which would be a dangling field.
    const exchange = t.exchange === '' ? b.createString('') : b.createSharedString(t.exchange);
    Tick.startTick(b);
    Tick.addSymbol(b, symbol);
    Tick.addEventType(b, t.eventType);
    Tick.addTimestamp(b, BigInt(t.timestamp));
    if (t.price === t.price) Tick.addPrice(b, t.price);
    if (t.volume === t.volume) Tick.addVolume(b, BigInt(t.volume));
    if (t.bid === t.bid) Tick.addBid(b, t.bid);
    if (t.ask === t.ask) Tick.addAsk(b, t.ask);
    Tick.addExchange(b, exchange);
    Tick.addSeq(b, BigInt(t.seq));
    this.offsets[this.count++] = Tick.endTick(b);
    if (this.count === this.batchTicks) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const b = this.builder;
    TickBatch.startTicksVector(b, this.count);
    for (let i = this.count - 1; i >= 0; i--) b.addOffset(this.offsets[i] as number);
    const root = TickBatch.createTickBatch(b, b.endVector());
    b.finishSizePrefixed(root, TICK_BATCH_IDENTIFIER);
    this.out.bytes(b.asUint8Array());
    this.count = 0;
    this.startBatch();
  }

  private startBatch(): void {
    this.builder.clear();
    // The generated adders skip a value equal to the schema's default (0, or
    // TRADE), which would turn a volume of 0 into a missing field. clear()
    // resets this flag, so it is set again for every batch.
    this.builder.forceDefaults(true);
  }
}
