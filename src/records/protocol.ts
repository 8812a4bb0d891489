// The messages of the public WebSocket protocol (SPEC §3, docs/protocol.md)
// in both directions, typed once: the server builds its replies from these
// declarations and the dashboard reads the same ones. Like records.ts it
// imports nothing, so the dashboard can bundle it.
//
//   client ──▶ server   /ws:     subscribe, unsubscribe, ping
//                       /ingest: ticks (NDJSON or FlatBuffers), flush, ping
//   server ──▶ client   /ws:     data frames {ch, seq, data}; subscribed,
//                                unsubscribed, pong, error
//                       /ingest: flushed, pong, error (one per dead-lettered tick)

/** Error codes of error frames. Stable: clients match on them. */
export const ErrorCode = {
  /** Not JSON, not an object, an unknown op, or a malformed field; on /ws, a binary frame. */
  BAD_REQUEST: 'bad_request',
  /** A channel name that does not parse, or an interval this server does not have. */
  BAD_CHANNEL: 'bad_channel',
  /** A channel of a symbol the token is not entitled to, or an op its role does not allow. */
  FORBIDDEN: 'forbidden',
  /** Subscribing past --max-channels. */
  TOO_MANY_CHANNELS: 'too_many_channels',
  /** More messages than --rate-limit per second. */
  RATE_LIMITED: 'rate_limited',
  /** /ingest: a tick was dead-lettered (the frame says why). */
  REJECTED: 'rejected',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes tickflow uses. */
export const CloseCode = {
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /**
   * A message larger than --max-frame-kib (/ingest) or 64 KiB (/ws). Past
   * twice that (at least 1 MiB), and for text that is not UTF-8 (1007),
   * uWebSockets.js drops the connection itself and no code is sent.
   */
  TOO_BIG: 1009,
  /** A subscriber that stayed over --max-client-kib of unsent data. */
  SLOW_CONSUMER: 4008,
  /** A publisher whose frames waiting for a full partition passed --ingest-queue-kib. */
  PUBLISHER_QUEUE_FULL: 4009,
} as const;

/** The `id` a client put on a request, echoed as it came. */
interface Tagged {
  readonly id?: unknown;
}

// ---- client to server ----

/** Where a client stands on a channel: the last seq it received, in the epoch it was received in. */
export interface ResumePoint {
  readonly epoch: string;
  readonly seq: number;
}

export interface SubscribeRequest extends Tagged {
  readonly op: 'subscribe';
  readonly channels: readonly string[];
  readonly throttle_ms?: number;
  /** Channel name → where the client stands on it. */
  readonly resume?: Readonly<Record<string, ResumePoint>>;
  /** The last N records of each channel (0 to 10,000) before live data, with no gap and no duplicate. */
  readonly history?: number;
}

export interface UnsubscribeRequest extends Tagged {
  readonly op: 'unsubscribe';
  readonly channels: readonly string[];
}

export interface PingRequest extends Tagged {
  readonly op: 'ping';
}

/** /ingest: finalise this connection's symbols, or every symbol with `all` (admin role). */
export interface FlushRequest extends Tagged {
  readonly op: 'flush';
  readonly all?: boolean;
}

// ---- server to client ----

/** `{"ch","seq","data"}`: one message of a channel. */
export interface DataFrame<T = unknown> {
  readonly ch: string;
  readonly seq: number;
  readonly data: T;
}

/** What a resume of one channel gave: every seq after `from` up to `to`, or not. */
export interface ResumeOutcome {
  readonly recovered: boolean;
  readonly from: number;
  readonly to: number;
  /** Why a channel could not be resumed at all. */
  readonly reason?: string;
}

/** What `history` gave one channel. */
export interface HistoryOutcome {
  /** Messages sent before live data. */
  readonly records: number;
  /** The first one's seq (0 when none), and the channel's seq when it went live. */
  readonly from: number;
  readonly to: number;
  /** False when memory no longer held everything between the stored records and live data. */
  readonly complete: boolean;
}

/**
 * The epoch of each channel kind's seqs: trades and quotes start again at 1
 * with every run of the server; bars, indicators and alerts continue with the
 * store, whose epoch changes only when a run did not close cleanly or the
 * store was replaced. A resume must name the epoch it comes from.
 */
export interface Epochs {
  readonly trades: string;
  readonly quotes: string;
  readonly bars: string;
  readonly indicators: string;
  readonly alerts: string;
}

export interface SubscribedReply extends Tagged {
  readonly op: 'subscribed';
  readonly channels: readonly string[];
  readonly throttle_ms: number;
  readonly epochs: Epochs;
  /** With `resume` only: every resumed channel recovered. */
  readonly recovered?: boolean;
  readonly resumed?: Readonly<Record<string, ResumeOutcome>>;
  /** With `history` only: per channel. */
  readonly history?: Readonly<Record<string, HistoryOutcome>>;
}

export interface UnsubscribedReply extends Tagged {
  readonly op: 'unsubscribed';
  readonly channels: readonly string[];
}

export interface PongReply extends Tagged {
  readonly op: 'pong';
  /** The server's clock, ms since the epoch. */
  readonly time: number;
}

/** /ingest: the flush finished; its final records were published first. */
export interface FlushedReply extends Tagged {
  readonly op: 'flushed';
  /** How many symbols of this connection were finalised; absent for a flush of every symbol. */
  readonly symbols?: number;
  readonly all?: true;
}

/**
 * /ingest: this publisher sends faster than its ticks are taken (a partition
 * it sends to is full, or its unread frames passed half of
 * --ingest-queue-kib); its frames wait, up to --ingest-queue-kib, then close
 * 4009. Send less until `go_ahead`.
 */
export interface SlowDownNotice {
  readonly op: 'slow_down';
  /** Bytes of this publisher's frames not yet read. */
  readonly unread_bytes: number;
  /** The partition whose ring is full, or -1 when it is the publisher's own backlog. */
  readonly partition: number;
}

/** /ingest: everything that waited was taken; the publisher may send at full rate again. */
export interface GoAheadNotice {
  readonly op: 'go_ahead';
}

export interface ErrorReply extends Tagged {
  readonly op: 'error';
  readonly code: ErrorCodeValue;
  readonly message: string;
  /** The channel a subscribe or unsubscribe was refused for. */
  readonly channel?: string;
  /** /ingest, code `rejected`: the dead-letter reason, the field at fault and the tick's 1-based index on the connection. */
  readonly reason?: string;
  readonly field?: string;
  readonly tick?: number;
  /** /ingest, the summary of a second's dead letters past --ingest-reject-limit: how many, and by reason. */
  readonly unstored?: number;
  readonly reasons?: Readonly<Record<string, number>>;
}

export type ControlReply = SubscribedReply | UnsubscribedReply | PongReply | FlushedReply | SlowDownNotice | GoAheadNotice | ErrorReply;

/** A control reply as the text frame that carries it. */
export function controlFrame(reply: ControlReply): string {
  return JSON.stringify(reply);
}

/** An error reply's frame; `extra` adds the id, channel or tick fields. */
export function errorFrame(code: ErrorCodeValue, message: string, extra: Omit<ErrorReply, 'op' | 'code' | 'message'> = {}): string {
  return controlFrame({ op: 'error', code, message, ...extra });
}
