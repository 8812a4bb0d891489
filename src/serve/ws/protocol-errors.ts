// Error codes of the WebSocket protocol (error frames) and the close codes
// tickflow uses. Stable: clients match on them. docs/protocol.md lists them.

export const ErrorCode = {
  /** Not JSON, not an object, or an unknown op. */
  BAD_REQUEST: 'bad_request',
  /** A channel name that does not parse, or an interval this server does not have. */
  BAD_CHANNEL: 'bad_channel',
  /** A channel of a symbol the token is not entitled to. */
  FORBIDDEN: 'forbidden',
  /** Subscribing past --max-channels. */
  TOO_MANY_CHANNELS: 'too_many_channels',
  /** More messages than --rate-limit per second. */
  RATE_LIMITED: 'rate_limited',
  /** /ingest: a tick was dead-lettered (the frame says why). */
  REJECTED: 'rejected',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CloseCode = {
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** A frame larger than --max-frame-kib (/ingest) or 64 KiB (/ws). */
  TOO_BIG: 1009,
  /** A subscriber that stayed over --max-client-kib of unsent data. */
  SLOW_CONSUMER: 4008,
} as const;

export function errorFrame(code: ErrorCodeValue, message: string, extra: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ op: 'error', code, message, ...extra });
}
