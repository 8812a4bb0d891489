// Every channel's state (seq, last frame) and the fan-out. A message is
// serialised once, as JSON text (and once as FlatBuffers when a binary
// subscriber listens), and published to uWebSockets.js topics: the channel's
// own topic and its family's wildcard topic (`bars.1m.*`), so one publish
// reaches every subscriber of either. Subscribers whose delivery is managed
// here instead (throttled, or conflated while they lag) are offered the frame
// and keep only what they need.

import type { ChannelKind } from './channels';
import { channelName } from './channels';
import { FbFrames, PayloadType } from './fb-frames';
import { ReplayLog, type Recovered } from './replay-log';

/** The uWebSockets.js app, as the hub uses it. */
export interface TopicPublisher {
  publish(topic: string, message: string | Uint8Array, isBinary: boolean): boolean;
  numSubscribers(topic: string): number;
}

/** A session the hub delivers to directly (see subscriber-session.ts). */
export interface ManagedSubscriber {
  offer(channel: ChannelState, frame: string, info: FrameInfo): void;
}

/** What a subscriber needs to conflate a frame without parsing it. */
export class FrameInfo {
  /** Quotes and forming bars may be conflated for a lagging client. */
  conflatable = false;
  /** For bars: the window the frame belongs to. */
  windowStart = 0;
}

export class ChannelState {
  seq: number;
  /** The latest JSON frame: the snapshot a new subscriber gets first. */
  last: string | null = null;
  readonly wildcard: string;
  readonly fbName: string;
  readonly fbWildcard: string;

  constructor(readonly name: string, readonly kind: ChannelKind, readonly interval: string, readonly symbol: string, seq: number) {
    this.seq = seq;
    this.wildcard = channelName(kind, interval, '*');
    this.fbName = `fb|${name}`;
    this.fbWildcard = `fb|${this.wildcard}`;
  }
}

/** The uWS topic a subscriber joins for a channel (or wildcard) name. */
export function topicOf(name: string, binary: boolean): string {
  return binary ? `fb|${name}` : name;
}

export class ChannelHub {
  /** Messages published, for metrics. */
  published = 0;
  private readonly channels = new Map<string, ChannelState>();
  private readonly log: ReplayLog;
  private readonly managed = new Map<string, Set<ManagedSubscriber>>();
  private readonly fb = new FbFrames();

  constructor(private readonly publisher: TopicPublisher, replayBuffer: number, private readonly initialSeqs: ReadonlyMap<string, number> = new Map()) {
    this.log = new ReplayLog(replayBuffer);
  }

  channel(kind: ChannelKind, interval: string, symbol: string): ChannelState {
    const name = channelName(kind, interval, symbol);
    let state = this.channels.get(name);
    if (state === undefined) {
      state = new ChannelState(name, kind, interval, symbol, this.initialSeqs.get(name) ?? 0);
      this.channels.set(name, state);
    }
    return state;
  }

  find(name: string): ChannelState | undefined {
    return this.channels.get(name);
  }

  /** Channels of a family (`bars.1m.*`) or the one named, for snapshots. */
  matching(name: string): ChannelState[] {
    if (!name.endsWith('.*')) {
      const state = this.channels.get(name);
      return state === undefined ? [] : [state];
    }
    return [...this.channels.values()].filter((c) => c.wildcard === name);
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Publishes a record's JSON (`data`) on a channel. `payload` gives the
   * record's FlatBuffer, built only when a binary subscriber listens.
   * Returns the message's seq.
   */
  publish(channel: ChannelState, data: string, info: FrameInfo, payloadType: PayloadType, payload: () => Uint8Array): number {
    const seq = ++channel.seq;
    const frame = `{"ch":"${channel.name}","seq":${seq},"data":${data}}`;
    channel.last = frame;
    this.log.append(channel, seq, frame);
    this.published++;
    const p = this.publisher;
    p.publish(channel.name, frame, false);
    p.publish(channel.wildcard, frame, false);
    if (p.numSubscribers(channel.fbName) + p.numSubscribers(channel.fbWildcard) > 0) {
      const binary = this.fb.message(channel.name, seq, payloadType, payload());
      p.publish(channel.fbName, binary, true);
      p.publish(channel.fbWildcard, binary, true);
    }
    if (this.managed.size > 0) {
      this.managed.get(channel.name)?.forEach((s) => s.offer(channel, frame, info));
      this.managed.get(channel.wildcard)?.forEach((s) => s.offer(channel, frame, info));
    }
    return seq;
  }

  manage(name: string, subscriber: ManagedSubscriber): void {
    let set = this.managed.get(name);
    if (set === undefined) {
      set = new Set();
      this.managed.set(name, set);
    }
    set.add(subscriber);
  }

  unmanage(name: string, subscriber: ManagedSubscriber): void {
    const set = this.managed.get(name);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) this.managed.delete(name);
  }

  /** Frames of `channel` after `afterSeq` still held in memory. */
  recent(channel: ChannelState, afterSeq: number): Recovered {
    return this.log.after(channel, afterSeq);
  }

  /** Publishes a record given as JSON text (results of another engine, read from Kafka). */
  publishJson(channel: ChannelState, data: string, info: FrameInfo): number {
    const type = channel.kind === 'bars' ? PayloadType.BAR : channel.kind === 'indicators' ? PayloadType.INDICATOR : PayloadType.ALERT;
    return this.publish(channel, data, info, type, () => this.fb.recordPayload(channel.kind, JSON.parse(data) as Record<string, unknown>).bytes);
  }

  /** A tick record as a Tick FlatBuffer (the payload of a binary trades or quotes message). */
  tickFrame(tick: Record<string, unknown>): Uint8Array {
    return this.fb.tick(tick);
  }

  /** A JSON frame as a binary frame, for snapshots and resumes of binary subscribers. */
  toBinary(frame: string): Uint8Array {
    return this.fb.fromJson(frame).slice();
  }
}
