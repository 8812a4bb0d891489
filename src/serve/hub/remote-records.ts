// Records of symbols another engine of the Kafka group owns, published to
// this engine's subscribers on the same channels as its own: final bars,
// indicators and alerts read back from the result topics (and kept in the
// local store), trades, quotes and forming bars from the live feed. Each gets
// the next seq of its channel in this engine's hub, as a local record would.

import type { AlertRecord, BarRecord, IndicatorRecord } from '../../records/records';
import { ALERTS_TOPIC, BARS_TOPIC, INDICATORS_TOPIC } from '../../records/topics';
import { barPosition } from '../../records/result-messages';
import type { StoredRecord } from '../../store/store';
import { FrameInfo, type ChannelHub, type ChannelState } from './channel-hub';
import { parseChannel } from './channel-names';

export class RemoteRecords {
  private readonly info = new FrameInfo();
  /** Live channels by name (null: a name this server cannot serve), so a trade parses no name. */
  private readonly live = new Map<string, ChannelState | null>();
  /**
   * The position (barPosition: window_start, or an activity bar's index) of
   * each bar channel's latest final bar. A forming bar of that window or an
   * earlier one is stale: it comes from the live feed, which can fall behind
   * the result topics after a Kafka outage.
   */
  private readonly finalWindow = new Map<ChannelState, number>();

  constructor(
    private readonly hub: ChannelHub,
    private readonly store: { write(record: StoredRecord): void },
    private readonly intervals: readonly string[],
  ) {}

  /** A final record from a result topic: published, and kept in the store. */
  result(topic: string, key: string, value: string): void {
    const record = JSON.parse(value) as BarRecord | IndicatorRecord | AlertRecord;
    const { hub, store } = this;
    const info = this.info;
    info.conflatable = false;
    info.windowStart = 0;
    if (topic === BARS_TOPIC && record.type === 'bar') {
      const channel = hub.channel('bars', record.interval, record.symbol);
      const position = barPosition(record);
      info.windowStart = position;
      if (position > (this.finalWindow.get(channel) ?? -Infinity)) this.finalWindow.set(channel, position);
      store.write({ kind: 'bar', channel: channel.name, seq: hub.publishJson(channel, value, info), record });
    } else if (topic === INDICATORS_TOPIC && record.type === 'indicator') {
      const channel = hub.channel('indicators', '', record.symbol);
      store.write({ kind: 'indicator', channel: channel.name, seq: hub.publishJson(channel, value, info), record });
    } else if (topic === ALERTS_TOPIC && record.type === 'alert') {
      const channel = hub.channel('alerts', '', record.symbol);
      const origin = key.slice(key.lastIndexOf('|') + 1);
      store.write({ kind: 'alert', channel: channel.name, seq: hub.publishJson(channel, value, info), record, origin });
    }
  }

  /**
   * A trade, quote or forming bar from the live feed. Returns false when it
   * was not published: a channel this server has no name for (another
   * engine's `--intervals` differ), or a forming bar its final bar superseded.
   */
  liveRecord(name: string, value: string): boolean {
    let channel = this.live.get(name);
    if (channel === undefined) {
      const spec = parseChannel(name, this.intervals);
      channel =
        typeof spec === 'string' || spec.symbol === '*' || spec.kind === 'indicators' || spec.kind === 'alerts'
          ? null
          : this.hub.channel(spec.kind, spec.interval, spec.symbol);
      this.live.set(name, channel);
    }
    if (channel === null) return false;
    const info = this.info;
    info.conflatable = channel.kind !== 'trades';
    info.windowStart = 0;
    if (channel.kind === 'bars') {
      const bar = JSON.parse(value) as BarRecord;
      // Final bars come from the result topics, once committed: never twice.
      const position = barPosition(bar);
      if (bar.final || position <= (this.finalWindow.get(channel) ?? -Infinity)) return false;
      info.windowStart = position;
    }
    this.hub.publishJson(channel, value, info);
    return true;
  }
}
