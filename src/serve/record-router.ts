// Where the workers' results go in `serve`: every record becomes a message on
// its channel (serialised once by the hub), final records are written to the
// store, dead letters go back to the publisher that sent the tick, and the
// latency probes of echoed ticks feed the stage histograms.

import { ByteBuffer } from 'flatbuffers';
import { EVENT_TYPE_NAMES, EventType, TickFields } from '../analytics/tick-fields';
import { monotonicMs } from '../clock';
import { Alert } from '../fb/generated/tickflow/fb/alert';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { DeadLetter } from '../fb/generated/tickflow/fb/dead-letter';
import type { Dispatcher } from '../ingest/dispatcher';
import { Msg } from '../partition/protocol';
import type { PartitionCounts, ResultVisitor } from '../partition/result-drain';
import { RingDecoder } from '../partition/ring-codec';
import { jsonNumber } from '../records/json-text';
import { RecordJson } from '../records/record-json';
import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../records/records';
import { alertMessage, barMessage, deadLetterMessage, indicatorMessage, type ResultMessage } from '../kafka/result-messages';
import type { StoredRecord } from '../store/store';
import { FrameInfo, type ChannelHub, type ChannelState } from './channel-hub';
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
}

export class RecordCounters {
  ticks = 0;
  bars = 0;
  formingBars = 0;
  indicators = 0;
  alerts = 0;
  deadLetters = 0;
  /** Newest event time seen on an accepted tick (ms), for the watermark-lag metric. */
  newestEventTime = 0;
}

export class RecordRouter implements ResultVisitor {
  readonly counters = new RecordCounters();
  private readonly decoders = new Map<Uint8Array, RingDecoder>();
  private readonly json = new Map<Uint8Array, RecordJson>();
  private readonly views = new Map<Uint8Array, ByteBuffer>();
  private readonly tick = new TickFields();
  private readonly info = new FrameInfo();
  private readonly bar = new Bar();
  private readonly alert = new Alert();
  private readonly deadLetter = new DeadLetter();
  /** Trade and quote channels by symbol id: the per-tick path builds no names. */
  private readonly tradeChannels: Array<ChannelState | undefined> = [];
  private readonly quoteChannels: Array<ChannelState | undefined> = [];
  private tickJson = '';

  constructor(private readonly deps: RouterDeps) {}

  private worker = 0;

  record(type: number, partition: number, bytes: Uint8Array, offset: number, size: number): void {
    this.worker = partition;
    switch (type) {
      case Msg.ACCEPTED_TICK: this.onTick(bytes, offset); break;
      case Msg.BAR: this.onBar(bytes, offset, size); break;
      case Msg.INDICATOR: this.onIndicator(bytes, offset, size); break;
      case Msg.ALERT: this.onAlert(bytes, offset, size); break;
      case Msg.DEAD_LETTER: this.onDeadLetter(bytes, offset); break;
      default: break;
    }
  }

  flushed(_partition: number, _counts: PartitionCounts): void {
    // The pipeline resolves flush waiters; nothing to route.
  }

  private cached<T>(map: Map<Uint8Array, T>, bytes: Uint8Array, make: () => T): T {
    let value = map.get(bytes);
    if (value === undefined) {
      value = make();
      map.set(bytes, value);
    }
    return value;
  }

  private onTick(bytes: Uint8Array, offset: number): void {
    const received = monotonicMs();
    const t = this.cached(this.decoders, bytes, () => new RingDecoder(bytes)).tick(offset, this.tick);
    const { hub, dispatcher, latency } = this.deps;
    const symbol = dispatcher.symbolName(t.symbolId) ?? '';
    const trade = t.eventType === EventType.TRADE;
    const list = trade ? this.tradeChannels : this.quoteChannels;
    let channel = list[t.symbolId];
    if (channel === undefined) {
      channel = hub.channel(trade ? 'trades' : 'quotes', '', symbol);
      list[t.symbolId] = channel;
    }
    let data = `{"symbol":"${symbol}","event_type":"${EVENT_TYPE_NAMES[t.eventType]}","timestamp":${t.timestamp}`;
    if (t.price > 0) data += `,"price":${jsonNumber(t.price)}`;
    data += `,"volume":${t.volume}`;
    if (t.bid > 0) data += `,"bid":${jsonNumber(t.bid)}`;
    if (t.ask > 0) data += `,"ask":${jsonNumber(t.ask)}`;
    const exchange = dispatcher.exchangeName(t.exchangeId);
    if (exchange !== '') data += `,"exchange":${JSON.stringify(exchange)}`;
    if (t.seq >= 0) data += `,"seq":${t.seq}`;
    data += '}';
    this.tickJson = data;
    this.info.conflatable = !trade;
    this.info.windowStart = 0;
    hub.publish(channel, data, this.info, PayloadType.TICK, this.tickPayload);
    const published = monotonicMs();
    this.counters.ticks++;
    if (t.timestamp > this.counters.newestEventTime) this.counters.newestEventTime = t.timestamp;
    if (t.ingestTime > 0) {
      latency.record(0, t.dequeueTime - t.ingestTime);
      latency.record(1, t.emitTime - t.dequeueTime);
      latency.record(2, received - t.emitTime);
      latency.record(3, published - received);
      latency.record(4, published - t.ingestTime);
    }
  }

  private readonly tickPayload = (): Uint8Array => this.deps.hub.tickFrame(JSON.parse(this.tickJson) as Record<string, unknown>);

  private onBar(bytes: Uint8Array, offset: number, size: number): void {
    const bb = this.cached(this.views, bytes, () => new ByteBuffer(bytes));
    bb.setPosition(offset);
    const view = Bar.getRootAsBar(bb, this.bar);
    const final = view.final();
    const channel = this.deps.hub.channel('bars', view.interval() ?? '', view.symbol() ?? '');
    const data = this.cached(this.json, bytes, () => new RecordJson(bytes)).barAt(offset);
    this.info.conflatable = !final;
    this.info.windowStart = Number(view.windowStart());
    const seq = this.deps.hub.publish(channel, data, this.info, PayloadType.BAR, () => bytes.subarray(offset, offset + size));
    if (final) {
      this.counters.bars++;
      const record = JSON.parse(data) as BarRecord;
      this.deps.store?.write({ kind: 'bar', channel: channel.name, seq, record });
      this.deps.results?.(barMessage(record), record.symbol, this.worker);
    } else {
      this.counters.formingBars++;
    }
  }

  private onIndicator(bytes: Uint8Array, offset: number, size: number): void {
    const data = this.cached(this.json, bytes, () => new RecordJson(bytes)).indicatorAt(offset);
    const record = JSON.parse(data) as IndicatorRecord;
    const channel = this.deps.hub.channel('indicators', '', record.symbol);
    this.info.conflatable = false;
    const seq = this.deps.hub.publish(channel, data, this.info, PayloadType.INDICATOR, () => bytes.subarray(offset, offset + size));
    this.counters.indicators++;
    this.deps.store?.write({ kind: 'indicator', channel: channel.name, seq, record });
    this.deps.results?.(indicatorMessage(record), record.symbol, this.worker);
  }

  private onAlert(bytes: Uint8Array, offset: number, size: number): void {
    const bb = this.cached(this.views, bytes, () => new ByteBuffer(bytes));
    bb.setPosition(offset);
    const origin = String(Alert.getRootAsAlert(bb, this.alert).origin());
    const data = this.cached(this.json, bytes, () => new RecordJson(bytes)).alertAt(offset);
    const record = JSON.parse(data) as AlertRecord;
    const channel = this.deps.hub.channel('alerts', '', record.symbol);
    this.info.conflatable = false;
    const seq = this.deps.hub.publish(channel, data, this.info, PayloadType.ALERT, () => bytes.subarray(offset, offset + size));
    this.counters.alerts++;
    this.deps.store?.write({ kind: 'alert', channel: channel.name, seq, record, origin });
    this.deps.results?.(alertMessage(record, origin), record.symbol, this.worker);
  }

  private onDeadLetter(bytes: Uint8Array, offset: number): void {
    const bb = this.cached(this.views, bytes, () => new ByteBuffer(bytes));
    bb.setPosition(offset);
    const origin = Number(DeadLetter.getRootAsDeadLetter(bb, this.deadLetter).sourceLine());
    const record = JSON.parse(this.cached(this.json, bytes, () => new RecordJson(bytes)).deadLetterAt(offset)) as DeadLetterRecord;
    this.counters.deadLetters++;
    this.deps.onDeadLetter(record, origin);
    const symbol = record.tick?.symbol;
    if (typeof symbol === 'string') this.deps.results?.(deadLetterMessage(record), symbol, this.worker);
  }
}
