// Connections uWebSockets.js drops by itself. When a frame (or a fragmented
// message) is larger than its maxPayloadLength, or a text message is not
// valid UTF-8, uWS closes the TCP connection at once, before tickflow sees
// the message: no close frame is sent, so the client sees 1006 and no reason
// (uNetworking/uWebSockets#1321: by design, and no option changes it). The
// close handler still hears uWS's reason; this turns it into a warn line, at
// most one per LOG_EVERY_MS with the count since the last, so an operator
// can tell the client what it did and a client that keeps doing it cannot
// flood the log.

import type { Logger } from '../../log';

const LOG_EVERY_MS = 10_000;

/** uWS's close reasons for the drops this watches, and what they mean for a client. */
const MEANINGS: Readonly<Record<string, string>> = Object.freeze({
  'Received too big message': 'a message larger than the transport limit',
  'Received invalid UTF-8': 'a text frame that is not valid UTF-8',
});

export class TransportDrops {
  private unlogged = 0;
  private lastLog = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A close heard by a route's close handler; only uWS's own drops count. */
  closed(route: string, code: number, reason: string, transportLimit: number): void {
    const meaning = MEANINGS[reason];
    if (code !== 1006 || meaning === undefined) return;
    this.unlogged++;
    const now = this.clock();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.log.warn('a WebSocket client was dropped without a close frame', {
      count: this.unlogged,
      route,
      reason,
      meaning,
      transport_limit_bytes: transportLimit,
    });
    this.unlogged = 0;
    this.lastLog = now;
  }
}
