// A partition's ResultSink: encodes each result as a FlatBuffers record of
// fbs/records.fbs and writes it into the partition's out-ring, or an accepted
// tick into its echo ring, waiting while the ring is full (backpressure,
// never a drop).

import { Builder } from 'flatbuffers';
import type { AlertFields } from '../records/anomaly';
import type { DropReason, ResultSink } from '../analytics/result-sink';
import type { IndicatorWindow } from '../analytics/sliding-indicators';
import type { SymbolState } from '../analytics/symbol-state';
import type { TickFields } from '../records/tick-fields';
import type { BarWindow } from '../analytics/bar-window';
import { Alert } from '../fb/generated/tickflow/fb/alert';
import { DeadLetter } from '../fb/generated/tickflow/fb/dead-letter';
import { Tick } from '../fb/generated/tickflow/fb/tick';
import { monotonicMs } from '../clock';
import type { RingProducer } from '../ring/ring-producer';
import { Msg } from './protocol';
import { RING_FULL } from '../ring/ring-descriptor';
import { barTemplate, FORMS, formOf, writeBar } from './bar-writer';
import { indicatorTemplate, writeIndicator } from './indicator-writer';
import { TemplateMaker, type RecordTemplate } from './record-templates';
import { ByteSlab } from './byte-slab';
import { RingTickWriter } from './ring-codec';

const encoder = new TextEncoder();
const NO_PAYLOAD = new Uint8Array(0);

/**
 * What the encoder keeps for one symbol (SymbolState.sinkCache): its name
 * in UTF-8, its indicator template once made, and its bar templates, found
 * by key (interval index * FORMS + form) in short parallel lists, with no
 * map per symbol. The lists are made again one longer by concat() for
 * each new template (a few in a symbol's life): a list pushed to holds
 * room for 17.
 */
class SymbolOutput {
  indicator: RecordTemplate | null = null;
  keys: readonly number[] = [];
  templates: readonly RecordTemplate[] = [];

  constructor(readonly name: Uint8Array) {}
}

export class ResultEncoder implements ResultSink {
  private readonly builder = new Builder(512);
  private readonly ticks = new RingTickWriter();
  /** Symbol names' UTF-8 and record templates, for the partition's life. */
  private readonly slab = new ByteSlab();
  private readonly templateMaker = new TemplateMaker(this.slab);
  /** Interval labels in the order first seen: a label's index in a template key. */
  private readonly labels: string[] = [];
  private readonly outView: DataView;
  private readonly echoView: DataView;

  constructor(
    private readonly out: RingProducer,
    /** Accepted ticks, apart from the other results so they can be handed on first (see ResultDrain). */
    private readonly echo: RingProducer,
    private readonly exchangeName: (id: number) => string,
    /** Called while `ring` has no room for `bytes` (see PartitionCore). */
    private readonly waitForRoom: (ring: RingProducer, bytes: number) => void,
  ) {
    this.outView = new DataView(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
    this.echoView = new DataView(echo.bytes.buffer, echo.bytes.byteOffset, echo.bytes.byteLength);
  }

  bar(symbol: SymbolState, label: string, bar: BarWindow, final: boolean): void {
    const template = this.template(symbol, label, formOf(bar, final));
    const at = this.claim(Msg.BAR, template.bytes.length);
    writeBar(template, this.out.bytes, this.outView, at, bar, final);
  }

  indicator(symbol: SymbolState, w: IndicatorWindow): void {
    const output = this.output(symbol);
    const template = (output.indicator ??= indicatorTemplate(this.templateMaker, output.name));
    const at = this.claim(Msg.INDICATOR, template.bytes.length);
    writeIndicator(template, this.out.bytes, this.outView, at, w);
  }

  alert(symbol: SymbolState, a: AlertFields): void {
    const b = this.start();
    const s = b.createString(this.output(symbol).name);
    b.finish(
      Alert.createAlert(
        b,
        s,
        a.anomalyType,
        a.severity,
        BigInt(a.timestamp),
        a.price,
        a.volume === null ? null : BigInt(a.volume),
        a.priceZscore,
        a.volumeRatio,
        a.spreadRatio,
        a.volatility,
        a.origin,
      ),
    );
    this.send(Msg.ALERT);
  }

  dropped(symbol: SymbolState, reason: DropReason, message: string, t: TickFields, field: string): void {
    const b = this.start();
    const r = b.createString(reason);
    const f = field === '' ? 0 : b.createString(field);
    const m = b.createString(message);
    const s = b.createString(this.output(symbol).name);
    const exchange = this.exchangeName(t.exchangeId);
    const e = exchange === '' ? 0 : b.createString(exchange);
    Tick.startTick(b);
    Tick.addSymbol(b, s);
    Tick.addEventType(b, t.eventType);
    Tick.addTimestamp(b, BigInt(t.timestamp));
    if (t.price > 0) Tick.addPrice(b, t.price);
    Tick.addVolume(b, BigInt(t.volume));
    if (t.bid > 0) Tick.addBid(b, t.bid);
    if (t.ask > 0) Tick.addAsk(b, t.ask);
    if (e !== 0) Tick.addExchange(b, e);
    if (t.seq >= 0) Tick.addSeq(b, BigInt(t.seq));
    const tick = Tick.endTick(b);
    DeadLetter.startDeadLetter(b);
    DeadLetter.addReason(b, r);
    if (f !== 0) DeadLetter.addField(b, f);
    DeadLetter.addMessage(b, m);
    DeadLetter.addTick(b, tick);
    DeadLetter.addOrigin(b, BigInt(t.origin));
    b.finish(DeadLetter.endDeadLetter(b));
    this.send(Msg.DEAD_LETTER);
  }

  accepted(_symbol: SymbolState, t: TickFields): void {
    if (t.ingestTime > 0) t.emitTime = monotonicMs();
    const length = this.ticks.length;
    let at = this.echo.claim(Msg.ACCEPTED_TICK, length);
    while (at === RING_FULL) {
      this.waitForRoom(this.echo, length);
      at = this.echo.claim(Msg.ACCEPTED_TICK, length);
    }
    this.ticks.write(this.echo.bytes, this.echoView, at, t);
  }

  corrected(_symbol: SymbolState): void {
    while (!this.out.write(Msg.CORRECTION, NO_PAYLOAD)) this.waitForRoom(this.out, 0);
  }

  private start(): Builder {
    this.builder.clear();
    // Optional scalars are written when present even if they equal the
    // schema default (a volume of 0 must read back as 0, not null).
    this.builder.forceDefaults(true);
    return this.builder;
  }

  private output(symbol: SymbolState): SymbolOutput {
    let output = symbol.sinkCache as SymbolOutput | null;
    if (output === null) {
      output = new SymbolOutput(this.slab.copy(encoder.encode(symbol.name)));
      symbol.sinkCache = output;
    }
    return output;
  }

  /** Room for a record of `length` bytes in the out-ring, waiting for it while the ring is full. */
  private claim(type: number, length: number): number {
    let at = this.out.claim(type, length);
    while (at === RING_FULL) {
      this.waitForRoom(this.out, length);
      at = this.out.claim(type, length);
    }
    return at;
  }

  private template(symbol: SymbolState, label: string, form: number): RecordTemplate {
    let index = this.labels.indexOf(label);
    if (index < 0) index = this.labels.push(label) - 1;
    const key = index * FORMS + form;
    const output = this.output(symbol);
    const at = output.keys.indexOf(key);
    if (at >= 0) return output.templates[at] as RecordTemplate;
    const template = barTemplate(this.templateMaker, output.name, label, form);
    output.keys = output.keys.concat([key]);
    output.templates = output.templates.concat([template]);
    return template;
  }

  private send(type: number): void {
    const payload = this.builder.asUint8Array();
    while (!this.out.write(type, payload)) this.waitForRoom(this.out, payload.length);
  }
}
