// One /ws connection: the subscriber protocol of SPEC §3 (subscribe with
// snapshots, throttle_ms and resume; unsubscribe; ping), and delivery of the
// channels the hub manages for it: throttled channels, and quotes and forming
// bars while the client lags (only the latest per channel waits for it).

import { entitled, type Principal } from '../access/auth';
import type { ChannelHub, ChannelState, FrameInfo, ManagedSubscriber } from '../hub/channel-hub';
import { topicOf } from '../hub/channel-hub';
import { parseChannel, wildcardOf } from '../hub/channel-names';
import { CloseCode, ErrorCode, controlFrame, errorFrame, type SubscribedReply } from '../../records/protocol';
import { CatchUp, HISTORY_LIMIT, resumePoints, type ChannelHistory } from './catch-up';
import { RateLimiter } from '../access/rate-limiter';
import { SubscriptionSet, type Delivery } from './subscription-set';

/** The uWebSockets.js WebSocket, as a session uses it. */
export interface SessionSocket {
  send(message: string | Uint8Array, isBinary?: boolean): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  getBufferedAmount(): number;
  end(code?: number, shortMessage?: string): void;
  cork(cb: () => void): unknown;
}

export interface SessionLimits {
  readonly maxChannels: number;
  readonly rateLimit: number;
  readonly slowBytes: number;
  readonly maxBytes: number;
}

/** Channel names one subscribe or unsubscribe may carry. */
const MAX_CHANNELS_PER_MESSAGE = 1000;
const MAX_THROTTLE_MS = 60_000;

interface Pending {
  frame: string;
  windowStart: number;
}

export class SubscriberSession implements ManagedSubscriber {
  slow = false;
  private readonly subscriptions: SubscriptionSet;
  private delivery = new Map<string, Delivery>();
  private readonly pending = new Map<string, Pending>();
  private readonly lastSent = new Map<string, number>();
  private readonly limiter: RateLimiter;
  private timer: NodeJS.Timeout | null = null;
  private timerPeriod = 0;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly ws: SessionSocket,
    private readonly principal: Principal,
    private readonly binary: boolean,
    private readonly hub: ChannelHub,
    private readonly history: ChannelHistory | null,
    private readonly intervals: readonly string[],
    private readonly limits: SessionLimits,
  ) {
    this.subscriptions = new SubscriptionSet(principal, intervals);
    this.limiter = new RateLimiter(limits.rateLimit, 2 * limits.rateLimit, Date.now());
  }

  get channelCount(): number {
    return this.subscriptions.size;
  }

  onMessage(text: string): void {
    if (!this.limiter.take(Date.now())) {
      this.reply(errorFrame(ErrorCode.RATE_LIMITED, `more than ${this.limits.rateLimit} messages per second; message ignored`));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.reply(errorFrame(ErrorCode.BAD_REQUEST, 'not valid JSON'));
      return;
    }
    const m = message as { op?: unknown; id?: unknown } | null;
    const id = m !== null && typeof m === 'object' && m.id !== undefined ? { id: m.id } : {};
    switch (m?.op) {
      case 'subscribe':
        void this.subscribe(m as Record<string, unknown>, id);
        return;
      case 'unsubscribe':
        this.unsubscribe(m as Record<string, unknown>, id);
        return;
      case 'ping':
        this.reply(controlFrame({ op: 'pong', ...id, time: Date.now() }));
        return;
      default:
        this.reply(errorFrame(ErrorCode.BAD_REQUEST, 'expected {"op":"subscribe"|"unsubscribe"|"ping", ...}', id));
    }
  }

  private async subscribe(m: Record<string, unknown>, id: Record<string, unknown>): Promise<void> {
    const channels = m.channels;
    const throttle = m.throttle_ms ?? 0;
    const history = m.history ?? 0;
    const resume = resumePoints(m.resume ?? {});
    if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS_PER_MESSAGE) {
      this.reply(errorFrame(ErrorCode.BAD_REQUEST, `"channels" must be a list of 1 to ${MAX_CHANNELS_PER_MESSAGE} channel names`, id));
      return;
    }
    if (typeof throttle !== 'number' || !Number.isInteger(throttle) || throttle < 0 || throttle > MAX_THROTTLE_MS) {
      this.reply(errorFrame(ErrorCode.BAD_REQUEST, `"throttle_ms" must be an integer from 0 to ${MAX_THROTTLE_MS}`, id));
      return;
    }
    if (typeof history !== 'number' || !Number.isInteger(history) || history < 0 || history > HISTORY_LIMIT) {
      this.reply(errorFrame(ErrorCode.BAD_REQUEST, `"history" must be an integer from 0 to ${HISTORY_LIMIT} (records per channel)`, id));
      return;
    }
    if (resume === null) {
      this.reply(
        errorFrame(
          ErrorCode.BAD_REQUEST,
          '"resume" must map channel names to {"epoch": <from a subscribe reply>, "seq": <the last seq received, an integer >= 0>}',
          id,
        ),
      );
      return;
    }

    const accepted: string[] = [];
    const names: string[] = [];
    /** Names of this message the session does not hold yet: only they count against --max-channels. */
    let added = 0;
    for (const channel of channels) {
      const expansion = this.subscriptions.expand(channel);
      if (expansion.error !== undefined) {
        this.reply(
          errorFrame(expansion.error.code === 'forbidden' ? ErrorCode.FORBIDDEN : ErrorCode.BAD_CHANNEL, expansion.error.message, {
            ...id,
            channel,
          }),
        );
        continue;
      }
      const fresh = expansion.names.filter((n) => !this.subscriptions.has(n) && !names.includes(n));
      if (this.subscriptions.size + added + fresh.length > this.limits.maxChannels) {
        this.reply(
          errorFrame(ErrorCode.TOO_MANY_CHANNELS, `at most ${this.limits.maxChannels} channels per connection`, { ...id, channel }),
        );
        continue;
      }
      added += fresh.length;
      accepted.push(channel as string);
      names.push(...expansion.names.filter((n) => !names.includes(n)));
    }
    if (accepted.length === 0) return;

    // What each channel starts with: a resume, its history, or its last
    // value. The store is asked before anything is sent, so that the frames
    // go out in seq order and the subscription follows them in one turn.
    const start = new CatchUp(this.hub, this.history);
    for (const [channel, point] of resume) {
      // Every channel named in resume gets an answer: one that cannot be
      // resumed says why, never silence (a silent gap is what a client cannot detect).
      const refused = this.resumeRefusal(channel, names);
      if (refused !== null) start.refuse(channel, point, refused);
      else start.resume(channel, point);
    }
    if (history > 0) {
      const channelsWithHistory = names.flatMap((name) => this.hub.matching(name)).filter((state) => !start.has(state));
      if (channelsWithHistory.length > MAX_CHANNELS_PER_MESSAGE) {
        this.reply(
          errorFrame(
            ErrorCode.BAD_REQUEST,
            `"history" for ${channelsWithHistory.length} channels; at most ${MAX_CHANNELS_PER_MESSAGE} per subscribe ` +
              '(name fewer, or concrete, channels)',
            id,
          ),
        );
        return;
      }
      for (const state of channelsWithHistory) start.withHistory(state, history);
    }
    const reading = start.fetch();
    if (reading !== null) {
      await reading;
      if (this.closed) return;
    }

    this.ws.cork(() => {
      start.send((frame) => this.send(frame));
      for (const name of names) {
        for (const state of this.hub.matching(name)) {
          if (!start.has(state) && state.last !== null) this.send(state.last);
        }
      }
      for (const name of names) this.subscriptions.add(name, throttle);
      this.applyDelivery();
      const resumed = Object.keys(start.resumed).length > 0;
      const reply: SubscribedReply = {
        op: 'subscribed',
        ...id,
        channels: accepted,
        throttle_ms: throttle,
        epochs: {
          trades: this.hub.epochs.live,
          quotes: this.hub.epochs.live,
          bars: this.hub.epochs.stored,
          indicators: this.hub.epochs.stored,
          alerts: this.hub.epochs.stored,
        },
        ...(resumed ? { recovered: Object.values(start.resumed).every((r) => r.recovered), resumed: start.resumed } : {}),
        ...(history > 0 ? { history: start.history } : {}),
      };
      this.reply(controlFrame(reply));
    });
  }

  /**
   * Why a channel named in `resume` cannot be resumed, or null. Its symbol
   * comes from the same parser as subscriptions, so dotted symbols (BRK.B)
   * are checked whole.
   */
  private resumeRefusal(channel: string, subscribed: readonly string[]): string | null {
    const spec = parseChannel(channel, this.intervals);
    if (typeof spec === 'string') return spec;
    if (spec.symbol === '*') return 'resume takes concrete channels such as trades.AAPL, not wildcards';
    if (!entitled(this.principal, spec.symbol)) return `not entitled to ${spec.symbol}`;
    if (!subscribed.some((n) => n === channel || n === wildcardOf(spec))) return 'not among the channels of this subscribe';
    return null;
  }

  private unsubscribe(m: Record<string, unknown>, id: Record<string, unknown>): void {
    const channels = m.channels;
    if (!Array.isArray(channels) || channels.length === 0) {
      this.reply(errorFrame(ErrorCode.BAD_REQUEST, '"channels" must be a non-empty list of channel names', id));
      return;
    }
    const removed: string[] = [];
    for (const channel of channels) {
      const expansion = this.subscriptions.expand(channel);
      if (expansion.error !== undefined) {
        // Not a channel this session could hold: say so, as subscribe does, rather than leave it out in silence.
        const code = expansion.error.code === 'forbidden' ? ErrorCode.FORBIDDEN : ErrorCode.BAD_CHANNEL;
        this.reply(errorFrame(code, expansion.error.message, { ...id, channel }));
        continue;
      }
      let any = false;
      for (const name of expansion.names) any = this.subscriptions.remove(name) || any;
      if (any) removed.push(channel as string);
    }
    this.applyDelivery();
    this.reply(controlFrame({ op: 'unsubscribed', ...id, channels: removed }));
  }

  /** Brings topic subscriptions and hub management in line with what was asked. */
  private applyDelivery(): void {
    const next = this.subscriptions.delivery(this.slow);
    for (const [name, old] of this.delivery) {
      const now = next.get(name);
      if (now !== undefined && now.mode === old.mode) continue;
      if (old.mode === 'topic') this.setTopic(name, false);
      else this.hub.unmanage(name, this);
    }
    for (const [name, now] of next) {
      const old = this.delivery.get(name);
      if (old !== undefined && old.mode === now.mode) continue;
      if (now.mode === 'topic') this.setTopic(name, true);
      else this.hub.manage(name, this);
    }
    this.delivery = next;
    // A frame held for a channel the client left must not reach it later
    // (behind a newer snapshot if it comes back).
    for (const name of [...this.pending.keys()]) {
      if (!next.has(name) && !next.has(this.hub.find(name)?.wildcard ?? '')) {
        this.pending.delete(name);
        this.lastSent.delete(name);
      }
    }
    const throttles = [...next.values()].filter((d) => d.mode === 'managed' && d.throttleMs > 0).map((d) => d.throttleMs);
    this.setTimer(throttles.length > 0 ? Math.min(...throttles) : 0);
  }

  offer(channel: ChannelState, frame: string, info: FrameInfo): void {
    const delivery = this.delivery.get(channel.name) ?? this.delivery.get(channel.wildcard);
    if (delivery === undefined) return;
    if (delivery.throttleMs > 0 || info.conflatable) {
      this.pending.set(channel.name, { frame, windowStart: info.windowStart });
      return;
    }
    // A final bar on a conflated channel: a forming update of its own window
    // is superseded; one of a later window was published first and goes first.
    const waiting = this.pending.get(channel.name);
    if (waiting !== undefined) {
      this.pending.delete(channel.name);
      if (waiting.windowStart !== info.windowStart) this.send(waiting.frame);
    }
    this.send(frame);
  }

  /**
   * Called periodically and on drain: conflates a client over the slow
   * threshold, closes one over the hard limit, and catches up one that has
   * drained. Returns its unsent bytes.
   */
  checkBackpressure(): number {
    if (this.closed) return 0;
    const buffered = this.ws.getBufferedAmount();
    if (buffered > this.limits.maxBytes) {
      this.closeSlow();
      return buffered;
    }
    if (!this.slow && buffered > this.limits.slowBytes) {
      this.slow = true;
      this.applyDelivery();
    } else if (this.slow && buffered < this.limits.slowBytes / 2) {
      this.ws.cork(() => {
        for (const [name, p] of this.pending) {
          if (this.throttleOf(name) > 0) continue;
          this.send(p.frame);
          this.pending.delete(name);
        }
        this.slow = false;
        this.applyDelivery();
      });
    }
    return buffered;
  }

  /** Closes with 4008; the close frame goes out after everything already queued. */
  private closeSlow(): void {
    this.ws.end(CloseCode.SLOW_CONSUMER, `slow consumer: over ${this.limits.maxBytes} bytes unsent`);
  }

  /** Joins or leaves a channel's topic: on the socket, and in the hub's count of listeners. */
  private setTopic(name: string, join: boolean): void {
    const topic = topicOf(name, this.binary);
    if (join) {
      this.ws.subscribe(topic);
      this.hub.listen(topic);
    } else {
      this.ws.unsubscribe(topic);
      this.hub.unlisten(topic);
    }
  }

  /** The socket closed: it has left its topics already (uWebSockets.js does that), and the hub forgets it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.setTimer(0);
    for (const [name, d] of this.delivery) {
      if (d.mode === 'managed') this.hub.unmanage(name, this);
      else this.hub.unlisten(topicOf(name, this.binary));
    }
    this.delivery.clear();
    this.pending.clear();
  }

  /**
   * Runs the throttle timer at `periodMs` (0: none). A timer already at that
   * period is kept: restarted on every change of channels, it would never
   * fire for a client that changes them more often than its throttle.
   */
  private setTimer(periodMs: number): void {
    if (periodMs === this.timerPeriod && (this.timer !== null) === periodMs > 0) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = periodMs > 0 ? setInterval(() => this.flushThrottled(), periodMs) : null;
    this.timerPeriod = periodMs;
  }

  private flushThrottled(): void {
    if (this.pending.size === 0) return;
    const now = Date.now();
    this.ws.cork(() => {
      for (const [name, p] of this.pending) {
        const throttle = this.throttleOf(name);
        if (throttle === 0 || now - (this.lastSent.get(name) ?? 0) < throttle) continue;
        this.lastSent.set(name, now);
        this.pending.delete(name);
        this.send(p.frame);
      }
    });
  }

  /** The throttle that applies to a channel, through its own or its wildcard subscription. */
  private throttleOf(name: string): number {
    const d = this.delivery.get(name) ?? this.delivery.get(this.hub.find(name)?.wildcard ?? '');
    return d?.throttleMs ?? 0;
  }

  private send(frame: string): void {
    if (this.closed) return;
    const status = this.binary ? this.ws.send(this.hub.toBinary(frame), true) : this.ws.send(frame, false);
    // 0: queued behind unsent data, so this client lags; hold it to the hard limit at once.
    if (status === 0 && this.ws.getBufferedAmount() > this.limits.maxBytes) this.closeSlow();
  }

  private reply(text: string): void {
    if (!this.closed) this.ws.send(text, false);
  }
}
