// The two WebSocket routes on the server's one port: /ws for subscribers
// (one SubscriberSession each) and /ingest for publishers (one
// IngestConnection each). Upgrades are authenticated here, by role; frame
// limits are enforced with a close code and a reason; every open socket is
// tracked so that a drain can close them all, and every session so that
// backpressure can be checked on a timer.

import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { Logger } from '../../log';
import type { Principal } from '../access/auth';
import { RateLimiter } from '../access/rate-limiter';
import type { ChannelHub } from '../hub/channel-hub';
import type { IngestConnection } from './ingest-connection';
import type { IngestEndpoint } from './ingest-endpoint';
import { CloseCode, ErrorCode, errorFrame } from '../../records/protocol';
import type { ChannelHistory } from './catch-up';
import { SubscriberSession, type SessionLimits } from './subscriber-session';
import { TransportDrops } from './transport-drops';

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
  readonly log: Logger;
}

/** The open sockets and subscriber sessions, as the routes keep them. */
export interface OpenSockets {
  readonly sockets: ReadonlySet<WebSocket<unknown>>;
  readonly sessions: ReadonlySet<SubscriberSession>;
  /** Closes every publisher's socket (the first step of a drain). */
  closePublishers(code: number, reason: string): void;
}

/**
 * uWebSockets.js drops a connection without a close frame (the client sees
 * 1006) when a message exceeds its own limit, and it holds a message whole
 * before anyone sees it, so its limit is also what one connection may make
 * the server buffer. It sits above ours, and a message between the two gets
 * 1009 and a reason from us; one beyond it is dropped by uWS and logged
 * (transport-drops.ts).
 */
function transportLimit(bytes: number): number {
  return Math.max(2 * bytes, 1 << 20);
}

function tooBig(ws: WebSocket<SocketData>, size: number, limit: number, what: string): boolean {
  if (size <= limit) return false;
  ws.end(CloseCode.TOO_BIG, `message of ${size} bytes is over the ${limit}-byte limit of ${what}`);
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
  const drops = new TransportDrops(deps.log);
  const wsTransport = transportLimit(CONTROL_FRAME_BYTES);
  const ingestTransport = transportLimit(deps.maxFrameBytes);
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
    maxPayloadLength: wsTransport,
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
      if (tooBig(ws, message.byteLength, CONTROL_FRAME_BYTES, '/ws control messages')) return;
      if (isBinary) binaryOnWs(ws, message.byteLength, deps.limits.rateLimit);
      else ws.getUserData().session?.onMessage(Buffer.from(message).toString('utf8'));
    },
    drain: (ws) => {
      ws.getUserData().session?.checkBackpressure();
    },
    close: (ws, code, reason) => {
      drops.closed('/ws', code, Buffer.from(reason).toString('utf8'), wsTransport);
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
    maxPayloadLength: ingestTransport,
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
      if (connection !== undefined && !tooBig(ws, message.byteLength, deps.maxFrameBytes, '/ingest (--max-frame-kib)')) {
        ingest.message(connection, message, isBinary);
      }
    },
    close: (ws, code, reason) => {
      drops.closed('/ingest', code, Buffer.from(reason).toString('utf8'), ingestTransport);
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
