// FlatBuffers data frames (fbs/frames.fbs) for ?format=flatbuffers
// subscribers. Live frames wrap the record bytes a worker produced, unchanged;
// snapshots and resumed messages are rebuilt from their JSON frames.

import { Builder } from 'flatbuffers';
import { Alert } from '../../fb/generated/tickflow/fb/alert';
import { Bar } from '../../fb/generated/tickflow/fb/bar';
import { EventType } from '../../fb/generated/tickflow/fb/event-type';
import { Indicator } from '../../fb/generated/tickflow/fb/indicator';
import { Message } from '../../fb/generated/tickflow/fb/message';
import { PayloadType } from '../../fb/generated/tickflow/fb/payload-type';
import { Tick } from '../../fb/generated/tickflow/fb/tick';
import { ANOMALY_NAMES, SEVERITY_NAMES } from '../../records/anomaly';

export { PayloadType };

type Json = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const big = (v: unknown): bigint | null => (typeof v === 'number' ? BigInt(v) : null);

export class FbFrames {
  private readonly builder = new Builder(1024);
  private readonly payload = new Builder(512);

  /** A Message around `payload` (a finished record FlatBuffer). Valid until the next call. */
  message(channel: string, seq: number, type: PayloadType, payload: Uint8Array): Uint8Array {
    const b = this.builder;
    b.clear();
    b.forceDefaults(true);
    // Aligned to 8 so that readers in any language can take the payload as a root in place.
    b.startVector(1, payload.length, 8);
    for (let i = payload.length - 1; i >= 0; i--) b.addInt8(payload[i] as number);
    const vector = b.endVector();
    const name = b.createString(channel);
    b.finish(Message.createMessage(b, name, BigInt(seq), type, vector), 'TFMS');
    return b.asUint8Array();
  }

  /** A tick record as a Tick FlatBuffer. Valid until the next call. */
  tick(t: Json): Uint8Array {
    const b = this.payload;
    b.clear();
    b.forceDefaults(true);
    const symbol = b.createString(String(t.symbol ?? ''));
    const exchange = typeof t.exchange === 'string' ? b.createString(t.exchange) : 0;
    Tick.startTick(b);
    Tick.addSymbol(b, symbol);
    const type = EventType[t.event_type as keyof typeof EventType];
    if (type !== undefined) Tick.addEventType(b, type);
    if (typeof t.timestamp === 'number') Tick.addTimestamp(b, BigInt(t.timestamp));
    if (typeof t.price === 'number') Tick.addPrice(b, t.price);
    if (typeof t.volume === 'number') Tick.addVolume(b, BigInt(t.volume));
    if (typeof t.bid === 'number') Tick.addBid(b, t.bid);
    if (typeof t.ask === 'number') Tick.addAsk(b, t.ask);
    if (exchange !== 0) Tick.addExchange(b, exchange);
    if (typeof t.seq === 'number') Tick.addSeq(b, BigInt(t.seq));
    b.finish(Tick.endTick(b));
    return b.asUint8Array();
  }

  /** The binary form of a JSON data frame `{"ch","seq","data"}`. */
  fromJson(frame: string): Uint8Array {
    const { ch, seq, data } = JSON.parse(frame) as { ch: string; seq: number; data: Json };
    const kind = ch.slice(0, ch.indexOf('.'));
    const { type, bytes } = this.recordPayload(kind, data);
    return this.message(ch, seq, type, bytes);
  }

  /** A record (as parsed JSON) of a channel kind as its own FlatBuffer; the bytes are a copy. */
  recordPayload(kind: string, data: Json): { type: PayloadType; bytes: Uint8Array } {
    const b = this.payload;
    b.clear();
    b.forceDefaults(true);
    const symbol = b.createString(String(data.symbol ?? ''));
    let type: PayloadType;
    if (kind === 'trades' || kind === 'quotes') {
      return { type: PayloadType.TICK, bytes: this.tick(data).slice() };
    } else if (kind === 'bars') {
      const interval = b.createString(String(data.interval ?? ''));
      Bar.startBar(b);
      Bar.addSymbol(b, symbol);
      Bar.addInterval(b, interval);
      Bar.addWindowStart(b, BigInt(num(data.window_start) ?? 0));
      Bar.addWindowEnd(b, BigInt(num(data.window_end) ?? 0));
      Bar.addOpen(b, num(data.open) ?? 0);
      Bar.addHigh(b, num(data.high) ?? 0);
      Bar.addLow(b, num(data.low) ?? 0);
      Bar.addClose(b, num(data.close) ?? 0);
      Bar.addVolume(b, BigInt(num(data.volume) ?? 0));
      const vwap = num(data.vwap);
      if (vwap !== null) Bar.addVwap(b, vwap);
      Bar.addTradeCount(b, BigInt(num(data.trade_count) ?? 0));
      Bar.addFinal(b, data.final === true);
      const barIndex = num(data.bar_index);
      if (barIndex !== null) {
        Bar.addBarIndex(b, BigInt(barIndex));
        Bar.addComplete(b, data.complete === true);
      }
      const buyVolume = num(data.buy_volume);
      if (buyVolume !== null) {
        Bar.addBuyVolume(b, BigInt(buyVolume));
        Bar.addSellVolume(b, BigInt(num(data.sell_volume) ?? 0));
        Bar.addBuyCount(b, BigInt(num(data.buy_count) ?? 0));
        Bar.addSellCount(b, BigInt(num(data.sell_count) ?? 0));
      }
      const revision = num(data.revision);
      if (revision !== null) Bar.addRevision(b, revision);
      b.finish(Bar.endBar(b));
      type = PayloadType.BAR;
    } else if (kind === 'indicators') {
      b.finish(
        Indicator.createIndicator(
          b,
          symbol,
          BigInt(num(data.window_start) ?? 0),
          BigInt(num(data.window_end) ?? 0),
          num(data.ma) ?? 0,
          num(data.volatility) ?? 0,
          BigInt(num(data.trade_count) ?? 0),
          num(data.revision) ?? 0,
        ),
      );
      type = PayloadType.INDICATOR;
    } else {
      b.finish(
        Alert.createAlert(
          b,
          symbol,
          Math.max(0, ANOMALY_NAMES.indexOf(String(data.anomaly_type))),
          Math.max(0, SEVERITY_NAMES.indexOf(String(data.severity))),
          BigInt(num(data.timestamp) ?? 0),
          num(data.price),
          big(data.volume),
          num(data.price_zscore),
          num(data.volume_ratio),
          num(data.spread_ratio),
          num(data.volatility),
          0,
        ),
      );
      type = PayloadType.ALERT;
    }
    return { type, bytes: b.asUint8Array().slice() };
  }
}
