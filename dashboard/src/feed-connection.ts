// The page's one /ws connection: subscriptions that survive reconnects, and
// resume after a drop. It remembers the channels the page wants and the last
// seq it saw on every concrete channel, with the link it came on; every
// link's first reply says the epoch of each kind of channel. After a
// reconnect it subscribes again with `resume` points {epoch, seq}, so the
// server replays what was missed, and it reports the channels whose gap the
// server could not fill (`recovered: false`: evicted, or another epoch).
//
//   page ──subscribe──▶ wanted{channel → throttle, history}
//   frame ────────────▶ seqs{concrete channel → highest seq, link}
//   reply ────────────▶ epochs{link → epoch per kind}
//   drop ──backoff──▶ reconnect ──subscribe + resume{epoch, seq}──▶ reply
//                                              └─ recovered:false ▶ missed
//
// A ping every PING_EVERY_MS catches a dead link that never closes (a laptop
// waking up, a dropped route): no pong by the next ping means reconnect.

import { isControlReply, isDataFrame, type DataFrame, type Epochs, type ErrorReply, type SubscribedReply } from './wire-types';

export type LinkState = 'connecting' | 'open' | 'waiting';

export interface LinkStatus {
  readonly state: LinkState;
  readonly reconnects: number;
  /** When state is 'waiting': the next attempt, ms since the epoch. */
  readonly retryAt: number;
  /** Why the last connection ended, when it did. */
  readonly lastClose: string;
}

export interface FeedListener {
  data(frame: DataFrame): void;
  status(status: LinkStatus): void;
  /** After a reconnect's resubscribe: the channels the server could not replay. */
  resumed(missed: readonly string[], reply: SubscribedReply): void;
  error(reply: ErrorReply): void;
  roundTrip(ms: number): void;
}

export interface SubscribeOptions {
  /** Conflate these channels to at most one message per channel per period. */
  readonly throttleMs?: number;
  /**
   * The last N records of each channel before live data, without a gap or a
   * duplicate between them. Asked again on a reconnect for channels that
   * cannot be resumed.
   */
  readonly history?: number;
}

interface Wanted {
  readonly throttle: number;
  readonly history: number;
}

interface Seen {
  readonly seq: number;
  /** The link the frame came on: its epochs are the frame's. */
  readonly link: number;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const PING_EVERY_MS = 15_000;
const REPLY_TIMEOUT_MS = 15_000;
/** The server takes at most this many channel names per subscribe, and gives history to at most this many channels. */
export const MAX_CHANNELS_PER_MESSAGE = 1000;

/** Whether a subscription (maybe a `*` wildcard) covers a concrete channel. */
export function covers(subscription: string, channel: string): boolean {
  if (subscription === channel) return true;
  return subscription.endsWith('.*') && channel.startsWith(subscription.slice(0, -1)) && !channel.endsWith('.*');
}

export class FeedConnection {
  private socket: WebSocket | null = null;
  private readonly wanted = new Map<string, Wanted>();
  private readonly seqs = new Map<string, Seen>();
  /** Per link, from its first subscribe reply: the epoch of each kind of channel. */
  private readonly epochs = new Map<number, Epochs>();
  private link = 0;
  private readonly waiters = new Map<string, (reply: SubscribedReply | null) => void>();
  /**
   * Subscribes asked for while the link was down. They are not sent as they
   * were: the resubscribe on (re)connect covers every wanted channel, so
   * they are answered by its replies, and a channel unsubscribed meanwhile
   * is not subscribed by a stale message.
   */
  private unsent: string[] = [];
  /** Resubscribes on the current link still to be answered: id → the channels it resumes. */
  private readonly resubscribes = new Map<string, readonly string[]>();
  private reconnected = false;
  private nextId = 1;
  private failures = 0;
  private reconnects = 0;
  private opened = false;
  private lastClose = '';
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private pingSentAt = 0;
  private pongPending = false;

  constructor(
    private readonly url: string,
    private readonly listener: FeedListener,
  ) {}

  start(): void {
    this.connect();
  }

  /** The concrete channels a subscription covers that have carried data. */
  channelsOf(subscription: string): string[] {
    return [...this.seqs.keys()].filter((channel) => covers(subscription, channel));
  }

  /** Subscribes now or, when the link is down, as soon as it is up; resolves with the reply (null: none came). */
  subscribe(channels: readonly string[], options: SubscribeOptions = {}): Promise<SubscribedReply | null> {
    const throttle = options.throttleMs ?? 0;
    const history = options.history ?? 0;
    for (const channel of channels) this.wanted.set(channel, { throttle, history });
    const id = `s${this.nextId++}`;
    const message = JSON.stringify({
      op: 'subscribe',
      id,
      channels,
      ...(throttle > 0 ? { throttle_ms: throttle } : {}),
      ...(history > 0 ? { history } : {}),
    });
    const reply = new Promise<SubscribedReply | null>((resolve) => {
      const timer = window.setTimeout(() => this.settle(id, null), REPLY_TIMEOUT_MS);
      this.waiters.set(id, (r) => {
        window.clearTimeout(timer);
        resolve(r);
      });
    });
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(message);
    else this.unsent.push(id);
    return reply;
  }

  unsubscribe(channels: readonly string[]): void {
    for (const channel of channels) {
      this.wanted.delete(channel);
      for (const concrete of this.channelsOf(channel)) this.seqs.delete(concrete);
    }
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ op: 'unsubscribe', channels }));
  }

  /** Answers the subscribes made while the link was down, once the resubscribe is done. */
  private settleUnsent(reply: SubscribedReply | null): void {
    const unsent = this.unsent;
    this.unsent = [];
    for (const id of unsent) this.settle(id, reply);
  }

  private settle(id: string, reply: SubscribedReply | null): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    waiter(reply);
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.report('connecting', 0);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.link++;
    // Only the epochs of links whose frames are still held matter.
    const held = new Set([...this.seqs.values()].map((seen) => seen.link));
    for (const link of [...this.epochs.keys()]) if (!held.has(link)) this.epochs.delete(link);
    socket.onopen = () => this.onOpen(socket);
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') this.onText(event.data);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.onDown(event.code === 1006 ? 'connection lost' : `closed ${event.code}${event.reason === '' ? '' : `: ${event.reason}`}`);
    };
  }

  private onOpen(socket: WebSocket): void {
    if (this.socket !== socket) return;
    const reconnect = this.opened;
    this.opened = true;
    this.failures = 0;
    if (reconnect) this.reconnects++;
    this.reconnected = reconnect;
    this.resubscribe(socket, reconnect);
    if (this.resubscribes.size === 0) this.settleUnsent(null);
    this.pongPending = false;
    this.ping(socket);
    this.pingTimer = window.setInterval(() => this.ping(socket), PING_EVERY_MS);
    this.report('open', 0);
  }

  /**
   * Everything the page wants, grouped by throttle and history, with a
   * resume point for every channel it has a seq of (in the epoch of the link
   * that seq came on); the others get their history.
   */
  private resubscribe(socket: WebSocket, reconnect: boolean): void {
    const groups = new Map<string, { wanted: Wanted; channels: string[] }>();
    for (const [channel, wanted] of this.wanted) {
      const key = `${wanted.throttle}/${wanted.history}`;
      const group = groups.get(key) ?? { wanted, channels: [] };
      group.channels.push(channel);
      groups.set(key, group);
    }
    for (const { wanted, channels } of groups.values()) {
      for (let i = 0; i < channels.length; i += MAX_CHANNELS_PER_MESSAGE) {
        const chunk = channels.slice(i, i + MAX_CHANNELS_PER_MESSAGE);
        const resume: Record<string, { epoch: string; seq: number }> = {};
        for (const [channel, seen] of this.seqs) {
          const epoch = this.epochs.get(seen.link)?.[channel.slice(0, channel.indexOf('.')) as keyof Epochs];
          if (epoch !== undefined && chunk.some((s) => covers(s, channel))) resume[channel] = { epoch, seq: seen.seq };
        }
        const id = `r${this.nextId++}`;
        this.resubscribes.set(id, reconnect ? Object.keys(resume) : []);
        socket.send(
          JSON.stringify({
            op: 'subscribe',
            id,
            channels: chunk,
            ...(wanted.throttle > 0 ? { throttle_ms: wanted.throttle } : {}),
            ...(wanted.history > 0 ? { history: wanted.history } : {}),
            ...(reconnect && Object.keys(resume).length > 0 ? { resume } : {}),
          }),
        );
      }
    }
  }

  private onText(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (isDataFrame(message)) {
      // A frame of this link replaces one of an earlier link: after a resume
      // that could not be recovered, seqs may have started again.
      const seen = this.seqs.get(message.ch);
      if (seen === undefined || seen.link !== this.link || message.seq > seen.seq)
        this.seqs.set(message.ch, { seq: message.seq, link: this.link });
      this.listener.data(message);
      return;
    }
    if (!isControlReply(message)) return;
    switch (message.op) {
      case 'subscribed': {
        // Without epochs (a server that has none) nothing can be resumed: channels get their history.
        if (!this.epochs.has(this.link) && typeof message.epochs === 'object' && message.epochs !== null) {
          this.epochs.set(this.link, message.epochs);
        }
        // This page only sends string ids.
        const id = typeof message.id === 'string' ? message.id : '';
        const resuming = this.resubscribes.get(id);
        if (resuming !== undefined) {
          this.resubscribes.delete(id);
          if (this.reconnected) {
            // A channel the reply does not confirm as recovered counts as
            // missed, whatever the reason the reply gives.
            const missed = resuming.filter((channel) => message.resumed?.[channel]?.recovered !== true);
            this.listener.resumed(missed, message);
          }
          if (this.resubscribes.size === 0) this.settleUnsent(message);
        }
        this.settle(id, message);
        return;
      }
      case 'pong':
        this.pongPending = false;
        this.listener.roundTrip(performance.now() - this.pingSentAt);
        return;
      case 'error':
        this.listener.error(message);
        return;
      default:
    }
  }

  private ping(socket: WebSocket): void {
    if (this.pongPending) {
      // No answer for a whole period: the link is dead even if it never closed.
      this.abandon(socket, 'no answer to ping');
      return;
    }
    this.pongPending = true;
    this.pingSentAt = performance.now();
    socket.send(JSON.stringify({ op: 'ping', id: 'ping' }));
  }

  private abandon(socket: WebSocket, why: string): void {
    socket.onclose = null;
    socket.onmessage = null;
    socket.close();
    this.onDown(why);
  }

  private onDown(why: string): void {
    window.clearInterval(this.pingTimer);
    this.socket = null;
    this.lastClose = why;
    this.resubscribes.clear();
    // Replies to what was sent on the dead link will not come.
    const waiting = new Set(this.unsent);
    for (const id of [...this.waiters.keys()]) if (!waiting.has(id)) this.settle(id, null);
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.failures) * (0.75 + Math.random() * 0.5);
    this.failures++;
    this.report('waiting', Date.now() + delay);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  /** Tries now instead of waiting out the backoff. */
  retryNow(): void {
    if (this.retryTimer === undefined) return;
    window.clearTimeout(this.retryTimer);
    this.connect();
  }

  private report(state: LinkState, retryAt: number): void {
    this.listener.status({ state, reconnects: this.reconnects, retryAt, lastClose: this.lastClose });
  }
}
