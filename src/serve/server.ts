// `tickflow serve`: one uWebSockets.js app on one port for /ws (subscribers),
// /ingest (publishers) and HTTP, around the engine, the channel hub, the
// store and a tick source. This file wires the rooms of serve/ together and
// owns the order of a drain: stop intake, make every window final, deliver,
// close clients with 1001, stop threads.

import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { HttpRequest, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { analyticsConfig } from '../analytics/analytics-config';
import { checkpointRotation } from '../sources/checkpoint-chain';
import { invalidOption } from '../config/invalid';
import { ringKibFor } from '../config/options';
import type { Config } from '../config/load';
import type { ValidTick } from '../ingest/tick-validator';
import { KafkaMirror } from '../kafka/kafka-mirror';
import { KafkaSource } from '../kafka/kafka-source';
import type { Logger } from '../log';
import { Engine } from '../partition/engine';
import type { Placement } from '../partition/partition-host';
import { partitionsFor } from '../partition/placement';
import type { DeadLetterRecord } from '../records/records';
import type { DeadLetterReason } from '../records/rejection';
import { FileSource } from '../sources/file-source';
import { SyntheticSource } from '../sources/synthetic-source';
import type { SourceContext, TickSource } from '../sources/tick-source';
import { Store } from '../store/store';
import { LOCAL_PRINCIPAL, TokenRegistry, tokenOf, type Principal } from './access/auth';
import { registerHttp } from './http/http-api';
import { serverMetrics } from './http/server-metrics';
import { WatermarkAdmin } from './http/watermark-admin';
import { ChannelHub } from './hub/channel-hub';
import { RecordRouter } from './hub/record-router';
import { RemoteRecords } from './hub/remote-records';
import { StageLatency } from './hub/stage-latency';
import { FutureGuard } from './ws/future-guard';
import { IngestEndpoint } from './ws/ingest-endpoint';
import { CloseCode } from '../records/protocol';
import { ClientStats, registerSockets, type OpenSockets } from './ws/sockets';

/** How often every subscriber's unsent bytes are checked (conflation, close 4008). */
const BACKPRESSURE_CHECK_MS = 25;

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

/** What a running server drains and stops, in that order. */
interface Running {
  readonly engine: Engine;
  readonly store: Store;
  readonly source: TickSource | null;
  readonly mirror: KafkaMirror | null;
  readonly open: OpenSockets;
  readonly ingest: IngestEndpoint;
}

export class TickflowServer {
  readonly address: ServerAddress;
  private draining = false;
  private stopped: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Resolves once the server shut itself down because a partition worker failed. */
  readonly failed: Promise<void>;
  private onFailedShutdown: () => void = () => undefined;
  private running: Running | null = null;

  private constructor(
    private readonly log: Logger,
    private readonly listenSocket: us_listen_socket,
    address: ServerAddress,
  ) {
    this.address = address;
    this.failed = new Promise((resolve) => {
      this.onFailedShutdown = resolve;
    });
  }

  /** Where the engine runs: inline, or on how many worker threads. */
  get placement(): { placement: Placement; threads: number } {
    const engine = this.parts.engine;
    return { placement: engine.placement, threads: engine.partitions.threads };
  }

  private get parts(): Running {
    if (this.running === null) throw new Error('the server is not running');
    return this.running;
  }

  static async start(config: Config, log: Logger): Promise<TickflowServer> {
    // Option values and their combinations were checked by loadConfig (config/checks.ts).
    const tokens = config.tokenFile === '' ? null : TokenRegistry.load(config.tokenFile);
    const host = config.host !== '' ? config.host : tokens === null ? '127.0.0.1' : '0.0.0.0';
    const tls = config.tlsCert !== '';
    const intervals = config.intervals.map((entry) => entry.label);
    const { store, mirror, brokers } = await openStorage(config, log);
    const app = tls ? uWS.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey }) : uWS.App();
    // Trades and quotes start at seq 1 in every run: their epoch is this run's.
    const hub = new ChannelHub(app, config.replayBuffer, await store.maxSeqByChannel(), {
      live: `${randomBytes(6).toString('hex')}.${Date.now().toString(36)}`,
      stored: store.epoch,
    });

    const engine = await Engine.start({
      partitions: partitionsFor('serve', config.partitions),
      pin: config.pin,
      ringBytes: ringKibFor('serve', config.ringKib) * 1024,
      analytics: analyticsConfig(config, true),
      idleSpinUs: config.idleSpinUs,
      results: 'event-loop',
      probes: true,
    });
    for (const warning of engine.partitions.warnings) log.warn(warning);
    const deadLetters = new Map<DeadLetterReason, number>();
    const deadLetterSink = {
      count: (record: DeadLetterRecord): void => {
        const reason = record.reason as DeadLetterReason;
        deadLetters.set(reason, (deadLetters.get(reason) ?? 0) + 1);
      },
      store: (record: DeadLetterRecord): void => store.write({ kind: 'dead_letter', record, receivedAt: Date.now() }),
    };
    const onDeadLetter = (record: DeadLetterRecord): void => {
      deadLetterSink.count(record);
      deadLetterSink.store(record);
    };
    const futureGuard = new FutureGuard(config.maxFutureMs, log);
    const limits = {
      rateLimit: config.ingestRateLimit,
      queueLimit: config.ingestQueueKib * 1024,
      rejectLimit: config.ingestRejectLimit,
    };
    const ingest = new IngestEndpoint(engine, limits, deadLetterSink, futureGuard, log);
    const context: SourceContext = {
      pipeline: engine,
      deadLetter: onDeadLetter,
      admit: (tick: ValidTick) => futureGuard.check(tick),
      log: (msg: string, f?: Record<string, unknown>) => log.info(msg, f),
      debug: (msg: string, f?: Record<string, unknown>) => log.debug(msg, f),
    };
    const remote = new RemoteRecords(hub, store, intervals);
    const kafkaSource =
      config.source === 'kafka'
        ? new KafkaSource(context, {
            brokers,
            group: config.kafkaGroup,
            checkpointMs: config.checkpointMs > 0 ? config.checkpointMs : 5000,
            checkpointRotation: rotationOf(config, config.checkpointMs > 0 ? config.checkpointMs : 5000),
            topicPartitions: config.kafkaPartitions,
            remote: (topic, key, value) => remote.result(topic, key, value),
            remoteLive: (channel, value) => remote.liveRecord(channel, value),
          })
        : null;
    const latency = new StageLatency();
    const router = new RecordRouter({
      hub,
      dispatcher: engine.dispatcher,
      latency,
      store,
      results: kafkaSource === null ? null : (message, symbol, worker) => kafkaSource.result(message, symbol, worker),
      live: kafkaSource === null ? null : (channel, data) => kafkaSource.forward(channel.name, channel.symbol, data),
      onDeadLetter: (record, origin) => ingest.workerDeadLetter(record, origin),
    });
    engine.deliverTo(router);
    const source = kafkaSource ?? chosenSource(config, context, store);

    let server: TickflowServer | null = null;
    const authenticate = (req: HttpRequest): Principal | null => {
      if (tokens === null) return LOCAL_PRINCIPAL;
      return tokens.authenticate(tokenOf(req.getHeader('authorization'), req.getQuery('token') ?? ''));
    };
    const clients = new ClientStats();
    const open = registerSockets(app, {
      authenticate,
      draining: () => server?.draining === true,
      hub,
      history: store,
      intervals,
      ingest,
      clients,
      limits: {
        maxChannels: config.maxChannels,
        rateLimit: config.rateLimit,
        slowBytes: config.slowClientKib * 1024,
        maxBytes: config.maxClientKib * 1024,
      },
      maxFrameBytes: config.maxFrameKib * 1024,
      log,
    });
    const watermarks = new WatermarkAdmin(engine, log);
    const metrics = serverMetrics({
      startedAt: Date.now(),
      latenessMs: config.latenessMs,
      pipeline: engine,
      router,
      hub,
      ingest,
      latency,
      clients,
      deadLetters,
      store,
      mirror,
      kafkaSource,
      watermarks,
    });
    registerHttp(app, {
      authenticate,
      health: () => ({
        status: server?.draining === true ? 'draining' : 'ok',
        uptime_s: Math.round(process.uptime()),
        placement: engine.placement,
        partitions: engine.partitions.threads,
        source: source?.description ?? 'none',
        subscribers: clients.subscribers,
        publishers: ingest.openConnections,
        // The bar channels there are (time and activity labels), for clients such as the dashboard.
        intervals,
      }),
      metrics: () => metrics.render(),
      store,
      intervals,
      resetWatermark: (symbol, by) => watermarks.reset(symbol, by),
    });

    const listenSocket = await listen(app, host, config.port);
    if (listenSocket === false) {
      await engine.stop();
      await mirror?.stop();
      await store.close();
      throw invalidOption('port', config.port, `a free port (cannot listen on ${host}:${config.port}: in use, or not allowed)`);
    }
    server = new TickflowServer(log, listenSocket, { host, port: uWS.us_socket_local_port(listenSocket), tls });
    server.running = { engine, store, source, mirror, open, ingest };
    const running = server;
    running.timers.push(setInterval(() => checkBackpressure(open, clients), BACKPRESSURE_CHECK_MS));
    engine.whenFailed((err) => {
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
    const { engine, store, source, open, ingest } = this.parts;
    this.log.info('shutting down', { reason });
    this.draining = true;
    uWS.us_listen_socket_close(this.listenSocket);
    await source?.stop();
    open.closePublishers(CloseCode.GOING_AWAY, 'server shutting down');
    // Ticks accepted from publishers but waiting for a full partition are not dropped.
    await ingest.settled();
    if (engine.failed === undefined && source?.finalOnDrain !== false) {
      engine.publish();
      await engine.requests.flush();
    }
    await store.flush();
    for (const ws of [...open.sockets]) ws.end(CloseCode.GOING_AWAY, 'server shutting down');
    for (const timer of this.timers) clearInterval(timer);
    await engine.stop();
    await this.drainMirror();
    await store.close();
    this.log.info('stopped');
  }

  /** Gives a reachable broker a few seconds to take what the outbox holds; the rest waits for the next start. */
  private async drainMirror(): Promise<void> {
    const mirror = this.parts.mirror;
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

/** The store, and the Kafka mirror when brokers are given and Kafka is not the source. */
async function openStorage(config: Config, log: Logger): Promise<{ store: Store; mirror: KafkaMirror | null; brokers: string[] }> {
  const brokers = config.kafkaBrokers === '' ? [] : config.kafkaBrokers.split(',').map((b) => b.trim());
  const mirrorOn = brokers.length > 0 && config.source !== 'kafka';
  const store = await Store.open({
    path: config.db,
    retentionMs: config.retention,
    outbox: mirrorOn,
    onSweep: (sweep) => log.info('retention sweep deleted expired records', { ...sweep, retention: config.retention }),
  });
  const mirror = mirrorOn
    ? KafkaMirror.start(config.db, brokers, config.outboxMax, config.kafkaPartitions, (problem) => {
        if (problem === '') log.info('kafka mirror connected', { brokers: config.kafkaBrokers });
        else log.warn('kafka mirror cannot reach the brokers; results wait in the outbox', { error: problem });
      })
    : null;
  return { store, mirror, brokers };
}

/** The rotation of incremental checkpoints taken every `checkpointMs`: the trailing series span the alert window and the lateness. */
function rotationOf(config: Config, checkpointMs: number): number {
  return checkpointRotation(config.alertWindow + config.latenessMs + config.allowedLatenessMs, checkpointMs);
}

/** --source synthetic or file:PATH (Kafka is made apart: the router needs it); null for none. */
function chosenSource(config: Config, context: SourceContext, store: Store): TickSource | null {
  if (config.source === 'synthetic') {
    return new SyntheticSource(context, {
      symbols: config.syntheticSymbols,
      rate: config.syntheticRate,
      anomalyRate: config.syntheticAnomalyRate,
      seed: 1,
    });
  }
  if (config.source.startsWith('file:')) {
    return new FileSource(
      context,
      config.source.slice(5),
      config.speed,
      { load: (name) => store.loadCheckpoint(name), write: (record) => store.write(record) },
      config.checkpointMs,
      rotationOf(config, config.checkpointMs),
    );
  }
  return null;
}

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket | false> {
  return new Promise((resolve) => app.listen(host, port, resolve));
}

/** Conflates subscribers that lag, closes those over the limit, and keeps the queue statistics. */
function checkBackpressure(open: OpenSockets, clients: ClientStats): void {
  let max = 0;
  let sum = 0;
  let conflated = 0;
  for (const session of open.sessions) {
    const queued = session.checkBackpressure();
    if (queued > max) max = queued;
    sum += queued;
    if (session.slow) conflated++;
  }
  clients.maxQueueBytes = max;
  clients.sumQueueBytes = sum;
  clients.conflated = conflated;
}
