// `tickflow serve`: one uWebSockets.js app on one port for /ws (subscribers),
// /ingest (publishers) and HTTP, around the live pipeline, the channel hub,
// the store and a tick source. Start-up validates everything first; shutdown
// drains: stop intake, make every window final, deliver, close clients with
// 1001, stop threads.

import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, us_listen_socket, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import { analyticsConfig } from '../analytics/analytics-config';
import { formatDuration } from '../config/duration';
import type { Config } from '../config/load';
import { invalidOption } from '../config/invalid';
import type { DeadLetterReason } from '../records/rejection';
import type { ValidTick } from '../ingest/tick-validator';
import type { Logger } from '../log';
import type { AlertRecord, BarRecord, DeadLetterRecord, IndicatorRecord } from '../records/records';
import { ALERTS_TOPIC, BARS_TOPIC, INDICATORS_TOPIC } from '../records/topics';
import { KafkaMirror } from '../kafka/kafka-mirror';
import { Store } from '../store/store';
import { LOCAL_PRINCIPAL, TokenRegistry, tokenOf, type Principal } from './access/auth';
import { ChannelHub, FrameInfo } from './hub/channel-hub';
import { registerHttp } from './http/http-api';
import { FutureGuard } from './ws/future-guard';
import { WatermarkAdmin } from './http/watermark-admin';
import { IngestEndpoint, type IngestConnection } from './ws/ingest-endpoint';
import { Engine } from '../partition/engine';
import type { Placement } from '../partition/partition-host';
import { partitionsFor } from '../partition/placement';
import { CloseCode } from './ws/protocol-errors';
import { RecordRouter } from './hub/record-router';
import { ClientStats, serverMetrics } from './http/server-metrics';
import { FileSource } from '../sources/file-source';
import { KafkaSource } from '../kafka/kafka-source';
import { SyntheticSource } from '../sources/synthetic-source';
import type { TickSource } from '../sources/tick-source';
import { StageLatency } from './hub/stage-latency';
import { SubscriberSession } from './ws/subscriber-session';

const BACKPRESSURE_CHECK_MS = 25;
const CONTROL_FRAME_BYTES = 64 * 1024;

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

interface SocketData {
  readonly principal: Principal;
  readonly binary: boolean;
  session?: SubscriberSession;
  ingest?: IngestConnection;
}

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export class TickflowServer {
  readonly address: ServerAddress;
  private draining = false;
  private stopped: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sockets = new Set<WebSocket<SocketData>>();
  /** Resolves once the server shut itself down because a partition worker failed. */
  readonly failed: Promise<void>;
  private onFailedShutdown: () => void = () => undefined;

  private constructor(
    private readonly log: Logger,
    private readonly listenSocket: us_listen_socket,
    address: ServerAddress,
    private readonly pipeline: Engine,
    private readonly store: Store | null,
    private readonly source: TickSource | null,
    private readonly mirror: KafkaMirror | null,
  ) {
    this.address = address;
    this.failed = new Promise((resolve) => {
      this.onFailedShutdown = resolve;
    });
  }

  /** Where the engine runs: inline, or on how many worker threads. */
  get placement(): { placement: Placement; threads: number } {
    return { placement: this.pipeline.placement, threads: this.pipeline.partitions.threads };
  }

  static async start(config: Config, log: Logger): Promise<TickflowServer> {
    // Option values and their combinations were checked by loadConfig (config/checks.ts).
    const tokens = config.tokenFile === '' ? null : TokenRegistry.load(config.tokenFile);
    const host = config.host !== '' ? config.host : tokens === null ? '127.0.0.1' : '0.0.0.0';
    const analytics = analyticsConfig(config, true);
    const intervals = config.intervals.map(formatDuration);
    const brokers = config.kafkaBrokers === '' ? [] : config.kafkaBrokers.split(',').map((b) => b.trim());
    const mirrorOn = brokers.length > 0 && config.source !== 'kafka';
    const store = await Store.open({
      path: config.db, retentionMs: config.retention, outbox: mirrorOn,
      onSweep: (sweep) => log.info('retention sweep deleted expired records', { ...sweep, retention: config.retention }),
    });
    const mirror = mirrorOn
      ? KafkaMirror.start(config.db, brokers, config.outboxMax, config.kafkaPartitions, (problem) => {
        if (problem === '') log.info('kafka mirror connected', { brokers: config.kafkaBrokers });
        else log.warn('kafka mirror cannot reach the brokers; results wait in the outbox', { error: problem });
      })
      : null;
    const tls = config.tlsCert !== '';
    const app = tls ? uWS.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey }) : uWS.App();

    const hub = new ChannelHub(app, config.replayBuffer, await store.maxSeqByChannel());
    const latency = new StageLatency();
    const deadLetters = new Map<DeadLetterReason, number>();
    const onDeadLetter = (record: DeadLetterRecord): void => {
      const reason = record.reason as DeadLetterReason;
      deadLetters.set(reason, (deadLetters.get(reason) ?? 0) + 1);
      store.write({ kind: 'dead_letter', record, receivedAt: Date.now() });
    };
    let ingest: IngestEndpoint | null = null;
    let kafkaSource: KafkaSource | null = null;
    const made: { router?: RecordRouter } = {};
    const pipeline = await Engine.start(
      {
        partitions: partitionsFor('serve', config.partitions), pin: config.pin, ringBytes: config.ringKib * 1024, analytics, idleSpinUs: config.idleSpinUs,
        results: 'event-loop', probes: true,
      },
      (dispatcher) => {
        made.router = new RecordRouter({
          hub, dispatcher, latency, store,
          results: config.source === 'kafka' ? (message, symbol, worker) => kafkaSource?.result(message, symbol, worker) : null,
          onDeadLetter: (record, origin) => {
            if (ingest !== null) ingest.workerDeadLetter(record, origin);
            else onDeadLetter(record);
          },
        });
        return made.router;
      },
    );
    const router = made.router;
    if (router === undefined) throw new Error('the pipeline started without its result router');
    for (const warning of pipeline.partitions.warnings) log.warn(warning);
    const futureGuard = new FutureGuard(config.maxFutureMs, log);
    ingest = new IngestEndpoint(pipeline, config.ingestRateLimit, onDeadLetter, futureGuard, log);
    const sourceContext = {
      pipeline, deadLetter: onDeadLetter, admit: (tick: ValidTick) => futureGuard.check(tick),
      log: (msg: string, f?: Record<string, unknown>) => log.info(msg, f),
    };
    if (config.source === 'kafka') {
      kafkaSource = new KafkaSource(sourceContext, {
        brokers, group: config.kafkaGroup, checkpointMs: config.checkpointMs > 0 ? config.checkpointMs : 5000, topicPartitions: config.kafkaPartitions,
        remote: (topic, key, value) => publishRemote(hub, store, topic, key, value),
      });
    }
    const clients = new ClientStats();
    const watermarks = new WatermarkAdmin(pipeline, log);
    const metrics = serverMetrics({
      startedAt: Date.now(), latenessMs: config.latenessMs, pipeline, router, hub, ingest, latency, clients,
      deadLetters, store, mirror, kafkaSource, watermarks,
    });

    const authenticate = (req: HttpRequest): Principal | null => {
      if (tokens === null) return LOCAL_PRINCIPAL;
      return tokens.authenticate(tokenOf(req.getHeader('authorization'), req.getQuery('token') ?? ''));
    };
    const sessions = new Set<SubscriberSession>();
    let nextSession = 1;
    let server: TickflowServer | null = null;
    const upgrade = (role: 'subscribe' | 'publish') => (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
      const principal = authenticate(req);
      const binary = req.getQuery('format') === 'flatbuffers';
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (server?.draining === true) {
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
    const limits = {
      maxChannels: config.maxChannels, rateLimit: config.rateLimit,
      slowBytes: config.slowClientKib * 1024, maxBytes: config.maxClientKib * 1024,
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
        data.session = new SubscriberSession(nextSession++, ws, data.principal, data.binary, hub, store, intervals, limits);
        sessions.add(data.session);
        server?.sockets.add(ws);
        clients.subscribers++;
        if (data.binary) clients.binarySubscribers++;
      },
      message: (ws, message, isBinary) => {
        if (isBinary || tooBig(ws, message.byteLength, CONTROL_FRAME_BYTES)) return;
        ws.getUserData().session?.onMessage(Buffer.from(message).toString('utf8'));
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
        server?.sockets.delete(ws);
        clients.subscribers--;
        if (data.binary) clients.binarySubscribers--;
      },
    });

    const maxFrame = config.maxFrameKib * 1024;
    app.ws<SocketData>('/ingest', {
      maxPayloadLength: transportLimit(maxFrame),
      maxBackpressure: 4 * 1024 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: upgrade('publish'),
      open: (ws) => {
        const data = ws.getUserData();
        data.ingest = ingest?.open(ws, data.principal);
        server?.sockets.add(ws);
      },
      message: (ws, message, isBinary) => {
        const connection = ws.getUserData().ingest;
        if (connection !== undefined && !tooBig(ws, message.byteLength, maxFrame)) ingest?.message(connection, message, isBinary);
      },
      close: (ws) => {
        const connection = ws.getUserData().ingest;
        if (connection !== undefined) ingest?.close(connection);
        server?.sockets.delete(ws);
      },
    });

    const source: TickSource | null = kafkaSource ?? (config.source === 'synthetic'
      ? new SyntheticSource(sourceContext, {
        symbols: config.syntheticSymbols, rate: config.syntheticRate, anomalyRate: config.syntheticAnomalyRate, seed: 1,
      })
      : config.source.startsWith('file:')
        ? new FileSource(sourceContext, config.source.slice(5), config.speed,
          { load: (source) => store.loadCheckpoint(source), write: (record) => store.write(record) }, config.checkpointMs)
        : null);

    registerHttp(app, {
      authenticate,
      health: () => ({
        status: server?.draining === true ? 'draining' : 'ok',
        uptime_s: Math.round(process.uptime()),
        placement: pipeline.placement,
        partitions: pipeline.partitions.threads,
        source: source?.description ?? 'none',
        subscribers: clients.subscribers,
        publishers: ingest?.openConnections ?? 0,
      }),
      metrics: () => metrics.render(),
      store,
      intervals,
      resetWatermark: (symbol, by) => watermarks.reset(symbol, by),
    });

    const listenSocket = await new Promise<us_listen_socket | false>((resolve) => app.listen(host, config.port, resolve));
    if (listenSocket === false) {
      await pipeline.stop();
      await mirror?.stop();
      await store.close();
      throw invalidOption('port', config.port, `a free port (cannot listen on ${host}:${config.port}: in use, or not allowed)`);
    }
    const port = uWS.us_socket_local_port(listenSocket);
    server = new TickflowServer(log, listenSocket, { host, port, tls }, pipeline, store, source, mirror);
    const running = server;
    running.timers.push(setInterval(() => {
      let max = 0;
      let sum = 0;
      let conflated = 0;
      for (const session of sessions) {
        const queued = session.checkBackpressure();
        if (queued > max) max = queued;
        sum += queued;
        if (session.slow) conflated++;
      }
      clients.maxQueueBytes = max;
      clients.sumQueueBytes = sum;
      clients.conflated = conflated;
    }, BACKPRESSURE_CHECK_MS));
    pipeline.whenFailed((err) => {
      log.error('a partition worker failed; shutting down', { error: err.message });
      void running.shutdown('worker failure').finally(() => running.onFailedShutdown());
    });
    source?.start();
    return running;
  }

  /**
   * Graceful drain: stop intake, make every open window final and deliver
   * it, then close every client with 1001 (going away) and stop.
   */
  shutdown(reason: string): Promise<void> {
    this.stopped ??= this.drain(reason);
    return this.stopped;
  }

  private async drain(reason: string): Promise<void> {
    this.log.info('shutting down', { reason });
    this.draining = true;
    uWS.us_listen_socket_close(this.listenSocket);
    await this.source?.stop();
    for (const ws of this.sockets) {
      if (ws.getUserData().ingest !== undefined) ws.end(CloseCode.GOING_AWAY, 'server shutting down');
    }
    if (this.pipeline.failed === undefined && this.source?.finalOnDrain !== false) {
      this.pipeline.publish();
      await this.pipeline.flush();
    }
    await this.store?.flush();
    for (const ws of [...this.sockets]) ws.end(CloseCode.GOING_AWAY, 'server shutting down');
    for (const timer of this.timers) clearInterval(timer);
    await this.pipeline.stop();
    await this.drainMirror();
    await this.store?.close();
    this.log.info('stopped');
  }

  /** Gives a reachable broker a few seconds to take what the outbox holds; the rest waits for the next start. */
  private async drainMirror(): Promise<void> {
    const mirror = this.mirror;
    if (mirror === null) return;
    // Reports come every 500 ms: let one arrive that counts the final rows.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const deadline = Date.now() + 10_000;
    while (mirror.report.connected && mirror.report.depth > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await mirror.stop();
  }
}

/**
 * A final record of an input partition another engine owns, read from the
 * result topics: published to local subscribers and kept in the local store.
 */
function publishRemote(hub: ChannelHub, store: Store, topic: string, key: string, value: string): void {
  const record = JSON.parse(value) as BarRecord | IndicatorRecord | AlertRecord;
  const info = new FrameInfo();
  if (topic === BARS_TOPIC && record.type === 'bar') {
    const channel = hub.channel('bars', record.interval, record.symbol);
    store.write({ kind: 'bar', channel: channel.name, seq: hub.publishJson(channel, value, info), record });
  } else if (topic === INDICATORS_TOPIC && record.type === 'indicator') {
    const channel = hub.channel('indicators', '', record.symbol);
    store.write({ kind: 'indicator', channel: channel.name, seq: hub.publishJson(channel, value, info), record });
  } else if (topic === ALERTS_TOPIC && record.type === 'alert') {
    const channel = hub.channel('alerts', '', record.symbol);
    const origin = key.slice(key.lastIndexOf('|') + 1);
    store.write({ kind: 'alert', channel: channel.name, seq: hub.publishJson(channel, value, info), record, origin });
  }
}
