// Renders the FlatBuffers result records that partition workers write
// (fbs/records.fbs) as the JSON text of SPEC §1, reading fields in place.

import { ByteBuffer } from 'flatbuffers';
import { Alert } from '../fb/generated/tickflow/fb/alert';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { DeadLetter } from '../fb/generated/tickflow/fb/dead-letter';
import { Indicator } from '../fb/generated/tickflow/fb/indicator';
import type { Tick } from '../fb/generated/tickflow/fb/tick';
import { ANOMALY_NAMES, SEVERITY_NAMES } from '../analytics/anomaly';
import { EVENT_TYPE_NAMES } from '../analytics/tick-fields';
import type { Rejection } from '../ingest/rejection';
import { jsonNumber, jsonSymbol } from './json-text';

function int(value: bigint | null): string {
  return value === null ? 'null' : value.toString();
}

/** A tick as a JSON object text, leaving out absent fields. */
export function tickJson(tick: Tick): string {
  const parts = [`"symbol":${JSON.stringify(tick.symbol() ?? '')}`];
  const type = tick.eventType();
  if (type !== null) parts.push(`"event_type":"${EVENT_TYPE_NAMES[type] ?? type}"`);
  const timestamp = tick.timestamp();
  if (timestamp !== null) parts.push(`"timestamp":${timestamp}`);
  const price = tick.price();
  if (price !== null) parts.push(`"price":${jsonNumber(price)}`);
  const volume = tick.volume();
  if (volume !== null) parts.push(`"volume":${volume}`);
  const bid = tick.bid();
  if (bid !== null) parts.push(`"bid":${jsonNumber(bid)}`);
  const ask = tick.ask();
  if (ask !== null) parts.push(`"ask":${jsonNumber(ask)}`);
  const exchange = tick.exchange();
  if (exchange !== null) parts.push(`"exchange":${JSON.stringify(exchange)}`);
  const seq = tick.seq();
  if (seq !== null) parts.push(`"seq":${seq}`);
  return `{${parts.join(',')}}`;
}

export class RecordJson {
  private readonly bb: ByteBuffer;
  private readonly bar = new Bar();
  private readonly indicator = new Indicator();
  private readonly alert = new Alert();
  private readonly deadLetter = new DeadLetter();

  constructor(bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
  }

  barAt(offset: number): string {
    this.bb.setPosition(offset);
    const b = Bar.getRootAsBar(this.bb, this.bar);
    return `{"type":"bar","symbol":${jsonSymbol(b.symbol() ?? '')},"interval":"${b.interval() ?? ''}",`
      + `"window_start":${b.windowStart()},"window_end":${b.windowEnd()},"open":${jsonNumber(b.open())},`
      + `"high":${jsonNumber(b.high())},"low":${jsonNumber(b.low())},"close":${jsonNumber(b.close())},`
      + `"volume":${b.volume()},"vwap":${jsonNumber(b.vwap())},"trade_count":${b.tradeCount()},"final":${b.final()}}`;
  }

  indicatorAt(offset: number): string {
    this.bb.setPosition(offset);
    const i = Indicator.getRootAsIndicator(this.bb, this.indicator);
    return `{"type":"indicator","symbol":${jsonSymbol(i.symbol() ?? '')},"window_start":${i.windowStart()},`
      + `"window_end":${i.windowEnd()},"ma":${jsonNumber(i.ma())},"volatility":${jsonNumber(i.volatility())},`
      + `"trade_count":${i.tradeCount()}}`;
  }

  alertAt(offset: number): string {
    this.bb.setPosition(offset);
    const a = Alert.getRootAsAlert(this.bb, this.alert);
    return `{"type":"alert","symbol":${jsonSymbol(a.symbol() ?? '')},"anomaly_type":"${ANOMALY_NAMES[a.anomalyType()]}",`
      + `"severity":"${SEVERITY_NAMES[a.severity()]}","timestamp":${a.timestamp()},"price":${jsonNumber(a.price())},`
      + `"volume":${int(a.volume())},"price_zscore":${jsonNumber(a.priceZscore())},"volume_ratio":${jsonNumber(a.volumeRatio())},`
      + `"spread_ratio":${jsonNumber(a.spreadRatio())},"volatility":${jsonNumber(a.volatility())}}`;
  }

  deadLetterAt(offset: number): string {
    this.bb.setPosition(offset);
    const d = DeadLetter.getRootAsDeadLetter(this.bb, this.deadLetter);
    const tick = d.tick();
    return `{"type":"dead_letter","reason":${JSON.stringify(d.reason() ?? '')},"field":${JSON.stringify(d.field() ?? '')},`
      + `"message":${JSON.stringify(d.message() ?? '')},"line":${d.sourceLine()}`
      + `${tick === null ? '' : `,"tick":${tickJson(tick)}`}}`;
  }
}

/** A dead letter for a tick rejected by validation on the ingest thread. */
export function rejectionJson(rejection: Rejection, line: number, raw: string | null, fields: Record<string, unknown> | null): string {
  let text = `{"type":"dead_letter","reason":"${rejection.reason}","field":${JSON.stringify(rejection.field)},`
    + `"message":${JSON.stringify(rejection.message)},"line":${line}`;
  if (raw !== null) text += `,"raw":${JSON.stringify(raw)}`;
  if (fields !== null) text += `,"tick":${JSON.stringify(fields, (_key, value: unknown) => (value === null ? undefined : value))}`;
  return `${text}}`;
}
