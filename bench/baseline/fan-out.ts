// The baseline's subscriber side, written as a typical `ws` service writes
// it: a map from channel name to the set of sockets subscribed, and one
// JSON.stringify of {ch, seq, data} for every send. It speaks the subset of
// tickflow's /ws protocol a latency client needs: subscribe (with the last
// value of each channel first), unsubscribe, ping, per-channel seq and `*`
// for every symbol. No throttling, resume, auth or slow-consumer handling.

import type WebSocket from 'ws';
import { channelName, parseChannel, wildcardOf, type ChannelKind } from '../../src/serve/hub/channel-names';

interface ChannelFrame {
  readonly ch: string;
  readonly seq: number;
  readonly data: unknown;
}

interface Channel {
  seq: number;
  last: ChannelFrame | null;
}

const MAX_CHANNELS_PER_MESSAGE = 1000;

export class FanOut {
  private readonly channels = new Map<string, Channel>();
  /** Concrete channel names of each wildcard family (`trades.*` -> trades.A, trades.B...), for snapshots. */
  private readonly families = new Map<string, Set<string>>();
  private readonly subscribers = new Map<string, Set<WebSocket>>();
  private readonly subscriptions = new Map<WebSocket, Set<string>>();

  constructor(private readonly intervals: readonly string[]) {}

  /** Numbers a record on its channel and sends it to every subscriber of the channel or its wildcard, once each. */
  publish(kind: ChannelKind, interval: string, symbol: string, data: unknown): void {
    const name = channelName(kind, interval, symbol);
    const wildcard = channelName(kind, interval, '*');
    let channel = this.channels.get(name);
    if (channel === undefined) {
      channel = { seq: 0, last: null };
      this.channels.set(name, channel);
      let family = this.families.get(wildcard);
      if (family === undefined) {
        family = new Set();
        this.families.set(wildcard, family);
      }
      family.add(name);
    }
    channel.seq++;
    const frame: ChannelFrame = { ch: name, seq: channel.seq, data };
    channel.last = frame;
    const all = this.subscribers.get(wildcard);
    const direct = this.subscribers.get(name);
    if (all !== undefined) {
      for (const ws of all) send(ws, JSON.stringify(frame));
    }
    if (direct !== undefined) {
      for (const ws of direct) {
        if (all === undefined || !all.has(ws)) send(ws, JSON.stringify(frame));
      }
    }
  }

  /** Serves one /ws connection. */
  connect(ws: WebSocket): void {
    this.subscriptions.set(ws, new Set());
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) this.error(ws, 'bad_request', 'expected a JSON text frame', {});
      else this.onMessage(ws, data.toString());
    });
    // A socket error is followed by 'close'; without a listener it would take the process down.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      for (const name of this.subscriptions.get(ws) ?? []) this.subscribers.get(name)?.delete(ws);
      this.subscriptions.delete(ws);
    });
  }

  private onMessage(ws: WebSocket, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.error(ws, 'bad_request', 'not valid JSON', {});
      return;
    }
    const m = (message !== null && typeof message === 'object' ? message : {}) as Record<string, unknown>;
    const id = m.id === undefined ? {} : { id: m.id };
    if (m.op === 'subscribe') this.subscribe(ws, m.channels, id);
    else if (m.op === 'unsubscribe') this.unsubscribe(ws, m.channels, id);
    else if (m.op === 'ping') send(ws, JSON.stringify({ op: 'pong', ...id, time: Date.now() }));
    else this.error(ws, 'bad_request', 'expected {"op":"subscribe"|"unsubscribe"|"ping", ...}', id);
  }

  private subscribe(ws: WebSocket, channels: unknown, id: Record<string, unknown>): void {
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS_PER_MESSAGE) {
      this.error(ws, 'bad_request', `"channels" must be a list of 1 to ${MAX_CHANNELS_PER_MESSAGE} channel names`, id);
      return;
    }
    const mine = this.subscriptions.get(ws);
    if (mine === undefined) return;
    const accepted: string[] = [];
    const snapshot = new Set<string>();
    for (const name of channels) {
      const spec = parseChannel(name, this.intervals);
      if (typeof spec === 'string') {
        this.error(ws, 'bad_channel', spec, { ...id, channel: name });
        continue;
      }
      const channel = name as string;
      accepted.push(channel);
      if (spec.symbol === '*') {
        for (const member of this.families.get(channel) ?? []) snapshot.add(member);
      } else if (!mine.has(wildcardOf(spec))) {
        snapshot.add(channel);
      }
    }
    // The last value of each channel first, then the reply; everything after it is live.
    for (const name of snapshot) {
      const last = this.channels.get(name)?.last;
      if (last !== undefined && last !== null) send(ws, JSON.stringify(last));
    }
    for (const channel of accepted) {
      mine.add(channel);
      let set = this.subscribers.get(channel);
      if (set === undefined) {
        set = new Set();
        this.subscribers.set(channel, set);
      }
      set.add(ws);
    }
    if (accepted.length > 0) send(ws, JSON.stringify({ op: 'subscribed', ...id, channels: accepted, throttle_ms: 0 }));
  }

  private unsubscribe(ws: WebSocket, channels: unknown, id: Record<string, unknown>): void {
    if (!Array.isArray(channels) || channels.length === 0) {
      this.error(ws, 'bad_request', '"channels" must be a non-empty list of channel names', id);
      return;
    }
    const mine = this.subscriptions.get(ws);
    const removed: string[] = [];
    for (const channel of channels) {
      if (typeof channel !== 'string' || mine?.delete(channel) !== true) continue;
      this.subscribers.get(channel)?.delete(ws);
      removed.push(channel);
    }
    send(ws, JSON.stringify({ op: 'unsubscribed', ...id, channels: removed }));
  }

  private error(ws: WebSocket, code: string, message: string, extra: Record<string, unknown>): void {
    send(ws, JSON.stringify({ op: 'error', code, message, ...extra }));
  }
}

/** Sends if the socket is open; `ws` buffers without bound, as a typical service leaves it. */
export function send(ws: WebSocket, text: string): void {
  if (ws.readyState === ws.OPEN) ws.send(text);
}
