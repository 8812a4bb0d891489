// The two WebSocket routes on the server's one port: /ws for subscribers
// (one SubscriberSession each) and /ingest for publishers (one
// IngestConnection each). Upgrades are authenticated here, by role; frame
// limits are enforced with a close code and a reason; every open socket is
// tracked so that a drain can close them all, and every session so that
// backpressure can be checked on a timer.

import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { Principal } from '../access/auth';
import { RateLimiter } from '../access/rate-limiter';
import type { ChannelHub } from '../hub/channel-hub';
import type { IngestConnection, IngestEndpoint } from './ingest-endpoint';
import { CloseCode, ErrorCode, errorFrame } from '../../records/protocol';
import { SubscriberSession, type ChannelHistory, type SessionLimits } from './subscriber-session';

/** Largest control message a subscriber may send on /ws. */
const CONTROL_FRAME_BYTES = 64 * 1024;

/** What the server keeps about its WebSocket clients, for /metrics and /health. */
export class ClientStats {
  subscribers = 0;
  binarySubscribers = 0;
  conflated = 0;
  maxQueueBytes = 0;
  sumQueueBytes = 0;
  slowCloses = 0;
}

interface SocketData {
  readonly principal: Principal;
  readonly binary: boolean;
  session?: SubscriberSession;
  ingest?: IngestConnection;
  /** /ws: paces the error frames that answer binary frames, at --rate-limit (made at the first one). */
  binaryReplies?: RateLimiter;
}

export interface SocketDeps {
  /** The principal of an upgrade request, or null when its token is missing or wrong. */
  readonly authenticate: (req: HttpRequest) => Principal | null;
  /** True once a drain began: new connections get 503. */
  readonly draining: () => boolean;
  readonly hub: ChannelHub;
  readonly history: ChannelHistory | null;
  readonly intervals: readonly string[];
  readonly limits: SessionLimits;
  readonly ingest: IngestEndpoint;
  /** --max-frame-kib in bytes: the largest /ingest frame. */
  readonly maxFrameBytes: number;
  readonly clients: ClientStats;
}

/** The open sockets and subscriber sessions, as the routes keep them. */
export interface OpenSockets {
  readonly sockets: ReadonlySet<WebSocket<unknown>>;
  readonly sessions: ReadonlySet<SubscriberSession>;
  /** Closes every publisher's socket (the first step of a drain). */
  closePublishers(code: number, reason: string): void;
}

/**
 * uWebSockets.js drops a connection without a close frame when a message
 * exceeds its own limit, so its limit sits above ours and we close with 1009
 * and a reason ourselves.
 */
function transportLimit(bytes: number): number {
  return Math.max(2 * bytes, 1 << 20);
}

function tooBig(ws: WebSocket<SocketData>, size: number, limit: number): boolean {
  if (size <= limit) return false;
  ws.end(CloseCode.TOO_BIG, `frame of ${size} bytes exceeds the ${limit}-byte limit`);
  return true;
}

/** /ws takes JSON text frames only; a binary frame is answered, not silently dropped. */
function binaryOnWs(ws: WebSocket<SocketData>, size: number, rateLimit: number): void {
  const data = ws.getUserData();
  const now = Date.now();
  data.binaryReplies ??= new RateLimiter(rateLimit, 2 * rateLimit, now);
  // Past --rate-limit the frames are still ignored, without a reply each: the client has been told.
  if (!data.binaryReplies.take(now)) return;
  const message = `/ws takes JSON text frames (subscribe, unsubscribe, ping); a binary frame of ${size} bytes was ignored`;
  ws.send(errorFrame(ErrorCode.BAD_REQUEST, message), false);
}

export function registerSockets(app: TemplatedApp, deps: SocketDeps): OpenSockets {
  const { hub, clients, ingest } = deps;
  const sockets = new Set<WebSocket<SocketData>>();
  const sessions = new Set<SubscriberSession>();
  let nextSession = 1;

  const upgrade =
    (role: 'subscribe' | 'publish') =>
    (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
      const principal = deps.authenticate(req);
      const binary = req.getQuery('format') === 'flatbuffers';
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (deps.draining()) {
        res.writeStatus('503 Service Unavailable').end('server is shutting down');
      } else if (principal === null) {
        res.writeStatus('401 Unauthorized').end('a valid token is required (Authorization: Bearer <token> or ?token=)');
      } else if (!principal.roles.has(role)) {
        res.writeStatus('403 Forbidden').end(`the token lacks the ${role} role`);
      } else {
        const data: SocketData = { principal, binary };
        res.upgrade(data, key, protocol, extensions, context);
      }
    };

  app.ws<SocketData>('/ws', {
    maxPayloadLength: transportLimit(CONTROL_FRAME_BYTES),
    // No limit inside uWS: over its limit it silently skips messages, the
    // close frame included, and the client would see 1006 instead of 4008.
    // The sessions enforce --max-client-kib themselves (checkBackpressure).
    maxBackpressure: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: upgrade('subscribe'),
    open: (ws) => {
      const data = ws.getUserData();
      data.session = new SubscriberSession(nextSession++, ws, data.principal, data.binary, hub, deps.history, deps.intervals, deps.limits);
      sessions.add(data.session);
      sockets.add(ws);
      clients.subscribers++;
      if (data.binary) clients.binarySubscribers++;
    },
    message: (ws, message, isBinary) => {
      if (tooBig(ws, message.byteLength, CONTROL_FRAME_BYTES)) return;
      if (isBinary) binaryOnWs(ws, message.byteLength, deps.limits.rateLimit);
      else ws.getUserData().session?.onMessage(Buffer.from(message).toString('utf8'));
    },
    drain: (ws) => {
      ws.getUserData().session?.checkBackpressure();
    },
    close: (ws, code) => {
      const data = ws.getUserData();
      if (data.session !== undefined) {
        if (code === CloseCode.SLOW_CONSUMER) clients.slowCloses++;
        data.session.close();
        sessions.delete(data.session);
      }
      sockets.delete(ws);
      clients.subscribers--;
      if (data.binary) clients.binarySubscribers--;
    },
  });

  app.ws<SocketData>('/ingest', {
    maxPayloadLength: transportLimit(deps.maxFrameBytes),
    maxBackpressure: 4 * 1024 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: upgrade('publish'),
    open: (ws) => {
      const data = ws.getUserData();
      data.ingest = ingest.open(ws, data.principal);
      sockets.add(ws);
    },
    message: (ws, message, isBinary) => {
      const connection = ws.getUserData().ingest;
      if (connection !== undefined && !tooBig(ws, message.byteLength, deps.maxFrameBytes)) ingest.message(connection, message, isBinary);
    },
    close: (ws) => {
      const connection = ws.getUserData().ingest;
      if (connection !== undefined) ingest.close(connection);
      sockets.delete(ws);
    },
  });

  return {
    sockets: sockets as ReadonlySet<WebSocket<unknown>>,
    sessions,
    closePublishers: (code, reason) => {
      for (const ws of sockets) if (ws.getUserData().ingest !== undefined) ws.end(code, reason);
    },
  };
}
