// Where the workers' results go in `serve`: every record becomes a message on
// its channel (serialised once by the hub), final records are written to the
// store, dead letters go back to the publisher that sent the tick, and the
// latency probes of echoed ticks feed the stage histograms.

import { ByteBuffer } from 'flatbuffers';
import { EVENT_TYPE_NAMES, EventType, TickFields } from '../../records/tick-fields';
import { monotonicMs } from '../../clock';
import { Alert } from '../../fb/generated/tickflow/fb/alert';
import { DeadLetter } from '../../fb/generated/tickflow/fb/dead-letter';
import type { Dispatcher } from '../../partition/dispatcher';
import { Msg } from '../../partition/protocol';
import type { PartitionCounts, ResultVisitor } from '../../partition/result-drain';
import { RingDecoder } from '../../partition/ring-codec';
import { JsonBytes } from '../../records/json-bytes';
import { RecordFacts, RecordJson } from '../../records/record-json';
import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../../records/records';
import { alertMessage, barMessage, deadLetterMessage, indicatorMessage, type ResultMessage } from '../../records/result-messages';
import type { StoredRecord } from '../../store/store';
import { FrameInfo, type ChannelHub, type ChannelState, type PayloadSource } from './channel-hub';
import { PayloadType } from './fb-frames';
import type { StageLatency } from './stage-latency';

export interface RouterDeps {
  readonly hub: ChannelHub;
  readonly dispatcher: Dispatcher;
  readonly latency: StageLatency;
  /** Persists final records; null without a store. */
  readonly store: { write(record: StoredRecord): void } | null;
  /** A tick dropped by a worker (duplicate or late): `origin` is its dispatch origin. */
  readonly onDeadLetter: (record: DeadLetterRecord, origin: number) => void;
  /**
   * Every final record and worker dead letter as a Kafka message, with the
   * symbol and the partition worker that produced it (the Kafka source
   * commits these in its transactions). Null outside the Kafka source.
   */
  readonly results?: ((message: ResultMessage, symbol: string, worker: number) => void) | null;
  /**
   * Every trade, quote and forming bar just published, with its channel and
   * its JSON record (valid only during the call): the Kafka source sends them
   * to the other engines of its group. Null outside the Kafka source.
   */
  readonly live?: ((channel: ChannelState, data: JsonBytes) => void) | null;
}

export class RecordCounters {
  ticks = 0;
  bars = 0;
  formingBars = 0;
  indicators = 0;
  alerts = 0;
  deadLetters = 0;
  /** Ticks accepted as corrections, and the final records they emitted again (revision >= 1). */
  corrections = 0;
  barRevisions = 0;
  indicatorRevisions = 0;
  /** Newest event time seen on an accepted tick (ms), for the watermark-lag metric. */
  newestEventTime = 0;
}

export class RecordRouter implements ResultVisitor, PayloadSource {
  readonly counters = new RecordCounters();
  private readonly decoders = new Map<Uint8Array, RingDecoder>();
  private readonly json = new Map<Uint8Array, RecordJson>();
  private readonly views = new Map<Uint8Array, ByteBuffer>();
  private readonly tick = new TickFields();
  private readonly info = new FrameInfo();
  private readonly alert = new Alert();
  private readonly deadLetter = new DeadLetter();
  /** Trade and quote channels by symbol id: the per-tick path builds no names. */
  private readonly tradeChannels: Array<ChannelState | undefined> = [];
  private readonly quoteChannels: Array<ChannelState | undefined> = [];
  /** Bar channels by interval, then symbol (both interned strings). */
  private readonly barChannels = new Map<string, Map<string, ChannelState>>();
  /** The record being routed, as JSON. */
  private readonly out = new JsonBytes();
  /** Its FlatBuffer, for binary subscribers: ring bytes[offset, offset + size), or null for a tick. */
  private payloadBytes: Uint8Array | null = null;
  private payloadOffset = 0;
  private payloadSize = 0;
  private worker = 0;

  constructor(private readonly deps: RouterDeps) {}

  record(type: number, partition: number, bytes: Uint8Array, offset: number, size: number): void {
    this.worker = partition;
    switch (type) {
      case Msg.ACCEPTED_TICK:
        this.onTick(bytes, offset);
        break;
      case Msg.BAR:
        this.onBar(bytes, offset, size);
        break;
      case Msg.INDICATOR:
        this.onIndicator(bytes, offset, size);
        break;
      case Msg.ALERT:
        this.onAlert(bytes, offset, size);
        break;
      case Msg.DEAD_LETTER:
        this.onDeadLetter(bytes, offset);
        break;
      case Msg.CORRECTION:
        this.counters.corrections++;
        break;
      default:
        break;
    }
  }

  flushed(_partition: number, _counts: PartitionCounts): void {
    // The pipeline resolves flush waiters; nothing to route.
  }

  /** The routed record's FlatBuffer (the hub asks only when a binary subscriber listens). */
  payload(): Uint8Array {
    const bytes = this.payloadBytes;
    if (bytes === null) return this.deps.hub.tickFrame(JSON.parse(this.out.toString()) as Record<string, unknown>);
    return bytes.subarray(this.payloadOffset, this.payloadOffset + this.payloadSize);
  }

  /** One reader per ring buffer, made on first use (no closure per record). */
  private cached<T>(map: Map<Uint8Array, T>, bytes: Uint8Array, make: new (bytes: Uint8Array) => T): T {
    let value = map.get(bytes);
    if (value === undefined) {
      value = new make(bytes);
      map.set(bytes, value);
    }
    return value;
  }

  private onTick(bytes: Uint8Array, offset: number): void {
    const t = this.cached(this.decoders, bytes, RingDecoder).tick(offset, this.tick);
    const probed = t.ingestTime > 0;
    const received = probed ? monotonicMs() : 0;
    const { hub, dispatcher, latency } = this.deps;
    const symbol = dispatcher.symbolName(t.symbolId) ?? '';
    const trade = t.eventType === EventType.TRADE;
    const list = trade ? this.tradeChannels : this.quoteChannels;
    let channel = list[t.symbolId];
    if (channel === undefined) {
      channel = hub.channel(trade ? 'trades' : 'quotes', '', symbol);
      list[t.symbolId] = channel;
    }
    const out = this.out.reset();
    out
      .ascii('{"symbol":')
      .string(symbol)
      .ascii(',"event_type":"')
      .ascii(EVENT_TYPE_NAMES[t.eventType] as string)
      .ascii('","timestamp":')
      .number(t.timestamp);
    if (t.price > 0) out.ascii(',"price":').number(t.price);
    out.ascii(',"volume":').number(t.volume);
    if (t.bid > 0) out.ascii(',"bid":').number(t.bid);
    if (t.ask > 0) out.ascii(',"ask":').number(t.ask);
    const exchange = dispatcher.exchangeName(t.exchangeId);
    if (exchange !== '') out.ascii(',"exchange":').string(exchange);
    if (t.seq >= 0) out.ascii(',"seq":').number(t.seq);
    out.ascii('}');
    this.info.conflatable = !trade;
    this.info.windowStart = 0;
    this.payloadBytes = null;
    hub.publish(channel, out, this.info, PayloadType.TICK, this);
    this.deps.live?.(channel, out);
    this.counters.ticks++;
    if (t.timestamp > this.counters.newestEventTime) this.counters.newestEventTime = t.timestamp;
    if (probed) {
      const published = monotonicMs();
      latency.record(0, t.dequeueTime - t.ingestTime);
      latency.record(1, t.emitTime - t.dequeueTime);
      latency.record(2, received - t.emitTime);
      latency.record(3, published - received);
      latency.record(4, published - t.ingestTime);
    }
  }

  /** Renders a result record into `out` and notes its FlatBuffer; returns its facts. */
  private render(type: number, bytes: Uint8Array, offset: number, size: number): RecordFacts {
    const json = this.cached(this.json, bytes, RecordJson);
    const out = this.out.reset();
    if (type === Msg.BAR) json.writeBar(offset, out);
    else if (type === Msg.INDICATOR) json.writeIndicator(offset, out);
    else json.writeAlert(offset, out);
    this.payloadBytes = bytes;
    this.payloadOffset = offset;
    this.payloadSize = size;
    return json.facts;
  }

  private barChannel(interval: string, symbol: string): ChannelState {
    let bySymbol = this.barChannels.get(interval);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.barChannels.set(interval, bySymbol);
    }
    let channel = bySymbol.get(symbol);
    if (channel === undefined) {
      channel = this.deps.hub.channel('bars', interval, symbol);
      bySymbol.set(symbol, channel);
    }
    return channel;
  }

  private onBar(bytes: Uint8Array, offset: number, size: number): void {
    const facts = this.render(Msg.BAR, bytes, offset, size);
    const channel = this.barChannel(facts.interval, facts.symbol);
    const final = facts.final;
    this.info.conflatable = !final;
    // Which bar a forming update is of: an activity bar's index, or a time bar's start.
    this.info.windowStart = facts.barIndex >= 0 ? facts.barIndex : facts.windowStart;
    const seq = this.deps.hub.publish(channel, this.out, this.info, PayloadType.BAR, this);
    if (final) {
      this.counters.bars++;
      if (facts.revision > 0) this.counters.barRevisions++;
      const record = JSON.parse(this.out.toString()) as BarRecord;
      this.deps.store?.write({ kind: 'bar', channel: channel.name, seq, record });
      this.deps.results?.(barMessage(record), record.symbol, this.worker);
    } else {
      this.counters.formingBars++;
      this.deps.live?.(channel, this.out);
    }
  }

  private onIndicator(bytes: Uint8Array, offset: number, size: number): void {
    const facts = this.render(Msg.INDICATOR, bytes, offset, size);
    const channel = this.deps.hub.channel('indicators', '', facts.symbol);
    this.info.conflatable = false;
    const seq = this.deps.hub.publish(channel, this.out, this.info, PayloadType.INDICATOR, this);
    const record = JSON.parse(this.out.toString()) as IndicatorRecord;
    this.counters.indicators++;
    if (facts.revision > 0) this.counters.indicatorRevisions++;
    this.deps.store?.write({ kind: 'indicator', channel: channel.name, seq, record });
    this.deps.results?.(indicatorMessage(record), record.symbol, this.worker);
  }

  private onAlert(bytes: Uint8Array, offset: number, size: number): void {
    const bb = this.cached(this.views, bytes, ByteBuffer);
    bb.setPosition(offset);
    const origin = String(Alert.getRootAsAlert(bb, this.alert).origin());
    const facts = this.render(Msg.ALERT, bytes, offset, size);
    const channel = this.deps.hub.channel('alerts', '', facts.symbol);
    this.info.conflatable = false;
    const seq = this.deps.hub.publish(channel, this.out, this.info, PayloadType.ALERT, this);
    const record = JSON.parse(this.out.toString()) as AlertRecord;
    this.counters.alerts++;
    this.deps.store?.write({ kind: 'alert', channel: channel.name, seq, record, origin });
    this.deps.results?.(alertMessage(record, origin), record.symbol, this.worker);
  }

  private onDeadLetter(bytes: Uint8Array, offset: number): void {
    const bb = this.cached(this.views, bytes, ByteBuffer);
    bb.setPosition(offset);
    const origin = Number(DeadLetter.getRootAsDeadLetter(bb, this.deadLetter).origin());
    const record = JSON.parse(this.cached(this.json, bytes, RecordJson).deadLetterAt(offset)) as DeadLetterRecord;
    this.counters.deadLetters++;
    this.deps.onDeadLetter(record, origin);
    const symbol = record.tick?.symbol;
    if (typeof symbol === 'string') this.deps.results?.(deadLetterMessage(record), symbol, this.worker);
  }
}
