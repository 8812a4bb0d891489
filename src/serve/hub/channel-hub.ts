// Every channel's state (seq, last frame) and the fan-out. A message is
// serialised once, as JSON bytes assembled in a reused buffer (and once as
// FlatBuffers when a binary subscriber listens), and published to
// uWebSockets.js topics: the channel's own topic and its family's wildcard
// topic (`bars.1m.*`), so one publish reaches every subscriber of either,
// and only to those a session listens on. Subscribers whose delivery is
// managed here instead (throttled, or conflated while they lag) are offered
// the frame and keep only what they need.

import type { ChannelKind } from './channel-names';
import { channelName } from './channel-names';
import { FbFrames, PayloadType } from './fb-frames';
import { JsonBytes, copyBytes } from '../../records/json-bytes';
import { ReplayLog, type Recovered } from './replay-log';

/** The uWebSockets.js app, as the hub uses it. */
export interface TopicPublisher {
  publish(topic: string, message: string | Uint8Array, isBinary: boolean): boolean;
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

/** What a record's FlatBuffer payload comes from, asked only when a binary subscriber listens. */
export interface PayloadSource {
  payload(): Uint8Array;
}

/**
 * The epochs channel seqs live in (SPEC §3): a resume is only recovered
 * within one. Trades and quotes start at seq 1 in every run of the server;
 * bars, indicators and alerts continue from the store's highest seq, in the
 * store's epoch (src/store/store-epoch.ts).
 */
export interface Epochs {
  /** This run of the server: trades and quotes. */
  readonly live: string;
  /** The store's: bars, indicators, alerts. */
  readonly stored: string;
}

/** The channel kinds whose records the store keeps. */
export const STORED_KINDS: ReadonlySet<ChannelKind> = new Set(['bars', 'indicators', 'alerts']);

export class ChannelState {
  seq: number;
  /** The epoch this channel's seqs live in. */
  epoch = '';
  readonly wildcard: string;
  readonly fbName: string;
  readonly fbWildcard: string;
  /** `{"ch":"<name>","seq":` as UTF-8: every frame of the channel starts so. */
  readonly framePrefix: Buffer;
  /** The latest JSON frame's bytes: the snapshot a new subscriber gets first. */
  private lastBytes: Buffer | null = null;
  private lastLength = 0;

  constructor(
    readonly name: string,
    readonly kind: ChannelKind,
    readonly interval: string,
    readonly symbol: string,
    seq: number,
  ) {
    this.seq = seq;
    this.wildcard = channelName(kind, interval, '*');
    this.fbName = `fb|${name}`;
    this.fbWildcard = `fb|${this.wildcard}`;
    this.framePrefix = Buffer.from(`{"ch":${JSON.stringify(name)},"seq":`, 'utf8');
  }

  /** The latest JSON frame, or null before the first. */
  get last(): string | null {
    return this.lastBytes === null ? null : this.lastBytes.toString('utf8', 0, this.lastLength);
  }

  keepLast(frame: Uint8Array, length: number): void {
    if (this.lastBytes === null || this.lastBytes.length < length) this.lastBytes = Buffer.allocUnsafeSlow(Math.max(256, length * 2));
    copyBytes(frame, 0, length, this.lastBytes, 0);
    this.lastLength = length;
  }
}

/** What each channel kind's binary messages carry. */
const PAYLOAD_TYPES: Readonly<Record<ChannelKind, PayloadType>> = Object.freeze({
  trades: PayloadType.TICK,
  quotes: PayloadType.TICK,
  bars: PayloadType.BAR,
  indicators: PayloadType.INDICATOR,
  alerts: PayloadType.ALERT,
});

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
  /**
   * Sessions subscribed to each uWebSockets.js topic (a channel, a wildcard,
   * and their binary forms). A publish asks this map, not uWebSockets.js,
   * whether anyone listens: most channels have nobody on their own topic
   * (forming bars often nobody at all), and each question or publish to an
   * empty topic was a call into native code with the topic's name.
   */
  private readonly listeners = new Map<string, number>();
  private readonly fb = new FbFrames();
  /** Where each frame is assembled; reused, as are the record texts it wraps. */
  private readonly frame = new JsonBytes();
  private readonly jsonData = new JsonBytes();

  constructor(
    private readonly publisher: TopicPublisher,
    replayBuffer: number,
    private readonly initialSeqs: ReadonlyMap<string, number> = new Map(),
    readonly epochs: Epochs = { live: 'live', stored: 'stored' },
  ) {
    this.log = new ReplayLog(replayBuffer);
    // The stored channels exist from the start, so that history and resume
    // reach what the store holds before this run publishes on them.
    for (const name of initialSeqs.keys()) {
      const dot = name.indexOf('.');
      const kind = name.slice(0, dot) as ChannelKind;
      if (kind === 'bars') {
        const second = name.indexOf('.', dot + 1);
        this.channel(kind, name.slice(dot + 1, second), name.slice(second + 1));
      } else if (STORED_KINDS.has(kind)) {
        this.channel(kind, '', name.slice(dot + 1));
      }
    }
  }

  /** The epoch of a channel kind's seqs. */
  epochOf(kind: ChannelKind): string {
    return STORED_KINDS.has(kind) ? this.epochs.stored : this.epochs.live;
  }

  channel(kind: ChannelKind, interval: string, symbol: string): ChannelState {
    const name = channelName(kind, interval, symbol);
    let state = this.channels.get(name);
    if (state === undefined) {
      state = new ChannelState(name, kind, interval, symbol, this.initialSeqs.get(name) ?? 0);
      state.epoch = this.epochOf(kind);
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
   * Publishes a record's JSON (`data`, its bytes so far) on a channel.
   * `payload` gives the record's FlatBuffer, asked for only when a binary
   * subscriber listens. Returns the message's seq.
   */
  publish(channel: ChannelState, data: JsonBytes, info: FrameInfo, payloadType: PayloadType, payload: PayloadSource): number {
    const seq = ++channel.seq;
    const frame = this.frame.reset();
    frame
      .bytes(channel.framePrefix, 0, channel.framePrefix.length)
      .integer(seq)
      .ascii(',"data":')
      .bytes(data.view(), 0, data.length)
      .ascii('}');
    const bytes = frame.view();
    channel.keepLast(bytes, frame.length);
    this.log.append(channel, seq, bytes, 0, frame.length);
    this.published++;
    const listeners = this.listeners;
    if (listeners.size > 0) {
      const p = this.publisher;
      if (listeners.has(channel.name)) p.publish(channel.name, bytes, false);
      if (listeners.has(channel.wildcard)) p.publish(channel.wildcard, bytes, false);
      const own = listeners.has(channel.fbName);
      const family = listeners.has(channel.fbWildcard);
      if (own || family) {
        const binary = this.fb.message(channel.name, seq, payloadType, payload.payload());
        if (own) p.publish(channel.fbName, binary, true);
        if (family) p.publish(channel.fbWildcard, binary, true);
      }
    }
    if (this.managed.size > 0) this.offer(channel, frame, info);
    return seq;
  }

  /** Hands the frame, as text, to the sessions that manage their own delivery of this channel. */
  private offer(channel: ChannelState, frame: JsonBytes, info: FrameInfo): void {
    const own = this.managed.get(channel.name);
    const family = this.managed.get(channel.wildcard);
    if (own === undefined && family === undefined) return;
    const text = frame.toString();
    own?.forEach((s) => s.offer(channel, text, info));
    family?.forEach((s) => s.offer(channel, text, info));
  }

  /** A session subscribed to a topic (topicOf); publish() sends there from now on. */
  listen(topic: string): void {
    this.listeners.set(topic, (this.listeners.get(topic) ?? 0) + 1);
  }

  /** A session left a topic, or closed while subscribed to it. */
  unlisten(topic: string): void {
    const left = (this.listeners.get(topic) ?? 0) - 1;
    if (left > 0) this.listeners.set(topic, left);
    else this.listeners.delete(topic);
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

  /** Publishes a record given as JSON text (records of another engine, read from Kafka). */
  publishJson(channel: ChannelState, data: string, info: FrameInfo): number {
    const type = PAYLOAD_TYPES[channel.kind];
    const payload = { payload: (): Uint8Array => this.fb.recordPayload(channel.kind, JSON.parse(data) as Record<string, unknown>).bytes };
    return this.publish(channel, this.jsonData.reset().utf8(data), info, type, payload);
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
