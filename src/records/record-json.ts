// Renders the FlatBuffers result records that partition workers write
// (fbs/records.fbs) as the JSON text of SPEC §1, reading fields in place.

import { ByteBuffer } from 'flatbuffers';
import { Alert } from '../fb/generated/tickflow/fb/alert';
import { Bar } from '../fb/generated/tickflow/fb/bar';
import { DeadLetter } from '../fb/generated/tickflow/fb/dead-letter';
import { Indicator } from '../fb/generated/tickflow/fb/indicator';
import type { Tick } from '../fb/generated/tickflow/fb/tick';
import { ANOMALY_NAMES, SEVERITY_NAMES } from './anomaly';
import { EVENT_TYPE_NAMES } from './tick-fields';
import type { Rejection } from './rejection';
import { int64Field, stringAt, stringField } from '../fb/fields';
import { JsonBytes } from './json-bytes';
import { jsonNumber } from './json-text';

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

/** What the last record written was, for routing it without reading it twice. */
export class RecordFacts {
  symbol = '';
  interval = '';
  windowStart = 0;
  /** An activity bar's index; -1 for a time bar. */
  barIndex = -1;
  final = false;
  /** A final record's revision (0 for the first). */
  revision = 0;
}

export class RecordJson {
  private readonly bb: ByteBuffer;
  private readonly bar = new Bar();
  private readonly indicator = new Indicator();
  private readonly alert = new Alert();
  private readonly deadLetter = new DeadLetter();
  private readonly text = new JsonBytes();
  readonly facts = new RecordFacts();
  private readonly bytes: Uint8Array;

  /**
   * `withFacts` false (replay, which routes nothing) leaves `facts` unset:
   * strings are then copied from the record's bytes and never decoded.
   */
  constructor(
    bytes: Uint8Array,
    private readonly withFacts = true,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.bytes = bytes;
  }

  /** A string field as JSON, "" when absent, as it was read. */
  private stringJson(out: JsonBytes, pos: number, slot: number): JsonBytes {
    const at = stringAt(this.bb, pos, slot);
    if (at < 0) return out.ascii('""');
    return out.stringBytes(this.bytes, at + 4, at + 4 + this.bb.readInt32(at));
  }

  /** The bar record at `offset` as JSON, appended to `out`. */
  writeBar(offset: number, out: JsonBytes): void {
    this.bb.setPosition(offset);
    const b = Bar.getRootAsBar(this.bb, this.bar);
    const bb = this.bb;
    const pos = b.bb_pos;
    const windowStart = int64Field(bb, pos, 8) ?? 0;
    const final = b.final();
    const barIndex = int64Field(bb, pos, 28) ?? -1;
    const revision = b.revision() ?? 0;
    if (this.withFacts) {
      const f = this.facts;
      f.symbol = stringField(bb, pos, 4) ?? '';
      f.interval = stringField(bb, pos, 6) ?? '';
      f.windowStart = windowStart;
      f.final = final;
      f.barIndex = barIndex;
      f.revision = revision;
    }
    this.stringJson(out.ascii('{"type":"bar","symbol":'), pos, 4);
    this.stringJson(out.ascii(',"interval":'), pos, 6);
    out
      .ascii(',"window_start":')
      .integer(windowStart)
      .ascii(',"window_end":')
      .integer(int64Field(bb, pos, 10) ?? 0)
      .ascii(',"open":')
      .number(b.open())
      .ascii(',"high":')
      .number(b.high())
      .ascii(',"low":')
      .number(b.low())
      .ascii(',"close":')
      .number(b.close())
      .ascii(',"volume":')
      .integer(int64Field(bb, pos, 20) ?? 0)
      .ascii(',"vwap":')
      .number(b.vwap())
      .ascii(',"trade_count":')
      .integer(int64Field(bb, pos, 24) ?? 0)
      .ascii(',"final":')
      .boolean(final);
    if (barIndex >= 0) {
      out
        .ascii(',"bar_index":')
        .integer(barIndex)
        .ascii(',"complete":')
        .boolean(b.complete() ?? false);
    }
    out
      .ascii(',"buy_volume":')
      .number(int64Field(bb, pos, 32))
      .ascii(',"sell_volume":')
      .number(int64Field(bb, pos, 34))
      .ascii(',"buy_count":')
      .number(int64Field(bb, pos, 36))
      .ascii(',"sell_count":')
      .number(int64Field(bb, pos, 38));
    if (final) out.ascii(',"revision":').integer(revision);
    out.ascii('}');
  }

  writeIndicator(offset: number, out: JsonBytes): void {
    this.bb.setPosition(offset);
    const i = Indicator.getRootAsIndicator(this.bb, this.indicator);
    const bb = this.bb;
    const pos = i.bb_pos;
    const revision = i.revision();
    if (this.withFacts) {
      this.facts.symbol = stringField(bb, pos, 4) ?? '';
      this.facts.revision = revision;
    }
    this.stringJson(out.ascii('{"type":"indicator","symbol":'), pos, 4);
    out
      .ascii(',"window_start":')
      .integer(int64Field(bb, pos, 6) ?? 0)
      .ascii(',"window_end":')
      .integer(int64Field(bb, pos, 8) ?? 0)
      .ascii(',"ma":')
      .number(i.ma())
      .ascii(',"volatility":')
      .number(i.volatility())
      .ascii(',"trade_count":')
      .integer(int64Field(bb, pos, 14) ?? 0)
      .ascii(',"revision":')
      .integer(revision)
      .ascii('}');
  }

  writeAlert(offset: number, out: JsonBytes): void {
    this.bb.setPosition(offset);
    const a = Alert.getRootAsAlert(this.bb, this.alert);
    const bb = this.bb;
    const pos = a.bb_pos;
    if (this.withFacts) this.facts.symbol = stringField(bb, pos, 4) ?? '';
    this.stringJson(out.ascii('{"type":"alert","symbol":'), pos, 4);
    out
      .ascii(',"anomaly_type":"')
      .ascii(ANOMALY_NAMES[a.anomalyType()] as string)
      .ascii('","severity":"')
      .ascii(SEVERITY_NAMES[a.severity()] as string)
      .ascii('","timestamp":')
      .integer(int64Field(bb, pos, 10) ?? 0)
      .ascii(',"price":')
      .number(a.price())
      .ascii(',"volume":')
      .number(int64Field(bb, pos, 14))
      .ascii(',"price_zscore":')
      .number(a.priceZscore())
      .ascii(',"volume_ratio":')
      .number(a.volumeRatio())
      .ascii(',"spread_ratio":')
      .number(a.spreadRatio())
      .ascii(',"volatility":')
      .number(a.volatility())
      .ascii('}');
  }

  barAt(offset: number): string {
    this.writeBar(offset, this.text.reset());
    return this.text.toString();
  }

  indicatorAt(offset: number): string {
    this.writeIndicator(offset, this.text.reset());
    return this.text.toString();
  }

  alertAt(offset: number): string {
    this.writeAlert(offset, this.text.reset());
    return this.text.toString();
  }

  deadLetterAt(offset: number): string {
    this.bb.setPosition(offset);
    const d = DeadLetter.getRootAsDeadLetter(this.bb, this.deadLetter);
    const tick = d.tick();
    return (
      `{"type":"dead_letter","reason":${JSON.stringify(d.reason() ?? '')},"field":${JSON.stringify(d.field() ?? '')},` +
      `"message":${JSON.stringify(d.message() ?? '')},"line":${d.origin()}` +
      `${tick === null ? '' : `,"tick":${tickJson(tick)}`}}`
    );
  }
}

/** A dead letter for a tick rejected by validation on the ingest thread. */
export function rejectionJson(rejection: Rejection, line: number, raw: string | null, fields: Record<string, unknown> | null): string {
  let text =
    `{"type":"dead_letter","reason":"${rejection.reason}","field":${JSON.stringify(rejection.field)},` +
    `"message":${JSON.stringify(rejection.message)},"line":${line}`;
  if (raw !== null) text += `,"raw":${JSON.stringify(raw)}`;
  if (fields !== null) text += `,"tick":${JSON.stringify(fields, (_key, value: unknown) => (value === null ? undefined : value))}`;
  return `${text}}`;
}
