// The Node baseline server: the pipeline of `tickflow serve` written the way
// most Node services would be. One HTTP server with the `ws` package on one
// port; /ingest takes NDJSON text frames, JSON.parse's and validates each
// line and posts the frame's ticks as one array of plain objects to one
// worker thread; the worker runs tickflow's PartitionEngine and posts its
// results back; the main thread fans them out on /ws with JSON.stringify per
// send (fan-out.ts).
//
//   node dist/bench/baseline/server.js [--port 9002] [--host 127.0.0.1]
//
// Prints {"listening":PORT} on stdout when ready (--port 0 takes any free
// port). Stops on SIGINT or SIGTERM.

import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { Rejection } from '../../src/records/rejection';
import { AnalyticsThread, ValidTick, toBaselineTick } from './analytics-thread';
import { listenArgs, runCommand, type ListenArgs } from './command';
import { FanOut, send } from './fan-out';
import type { BaselineTick, FromWorker, WorkerRecord } from './messages';

/** A tick's origin is connection * 2^32 + its 1-based index on that connection, as in tickflow. */
const ORIGIN_SPAN = 2 ** 32;

interface Publisher {
  readonly id: number;
  readonly ws: WebSocket;
  /** Ticks (valid or not) received so far. */
  index: number;
}

async function main(args: ListenArgs): Promise<void> {
  const publishers = new Map<number, Publisher>();
  const flushes = new Map<number, { publisher: Publisher; tag: Record<string, unknown> }>();
  let fanOut: FanOut | null = null;
  let nextFlush = 1;

  const rejected = (publisher: Publisher | undefined, index: number, reason: string, field: string, message: string): void => {
    if (publisher !== undefined) send(publisher.ws, JSON.stringify({ op: 'error', code: 'rejected', message, reason, field, tick: index }));
  };

  const route = (record: WorkerRecord, out: FanOut): void => {
    switch (record.type) {
      case 'tick':
        out.publish(record.trade ? 'trades' : 'quotes', '', record.data.symbol, record.data);
        break;
      case 'bar':
        out.publish('bars', record.interval, record.symbol, record);
        break;
      case 'indicator':
        out.publish('indicators', '', record.symbol, record);
        break;
      case 'alert':
        out.publish('alerts', '', record.symbol, record);
        break;
      case 'dropped': {
        const publisher = publishers.get(Math.floor(record.origin / ORIGIN_SPAN));
        rejected(publisher, record.origin % ORIGIN_SPAN, record.reason, '', record.message);
        break;
      }
    }
  };

  const onMessage = (message: FromWorker): void => {
    if (message.kind === 'results') {
      if (fanOut !== null) for (const record of message.records) route(record, fanOut);
      return;
    }
    const flush = flushes.get(message.id);
    flushes.delete(message.id);
    if (flush !== undefined) send(flush.publisher.ws, JSON.stringify({ op: 'flushed', ...flush.tag }));
  };
  const worker = await AnalyticsThread.start(true, onMessage);
  const out = new FanOut(worker.analytics.intervals.map((entry) => entry.label));
  fanOut = out;

  const scratch = new ValidTick();
  const onIngest = (publisher: Publisher, text: string): void => {
    const ticks: BaselineTick[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        rejected(publisher, ++publisher.index, 'unparsable', '', `not valid JSON: ${(err as Error).message}`);
        continue;
      }
      if (value !== null && typeof value === 'object' && 'op' in value) {
        // Ticks before a control line go first, so a flush covers them.
        if (ticks.length > 0) worker.post({ kind: 'ticks', ticks: ticks.splice(0) });
        control(publisher, value as Record<string, unknown>);
        continue;
      }
      const tick = toBaselineTick(value, scratch, publisher.id * ORIGIN_SPAN + ++publisher.index);
      if (tick instanceof Rejection) rejected(publisher, publisher.index, tick.reason, tick.field, tick.message);
      else ticks.push(tick);
    }
    if (ticks.length > 0) worker.post({ kind: 'ticks', ticks });
  };

  const control = (publisher: Publisher, m: Record<string, unknown>): void => {
    const tag = m.id === undefined ? {} : { id: m.id };
    if (m.op === 'flush') {
      const id = nextFlush++;
      flushes.set(id, { publisher, tag });
      worker.post({ kind: 'flush', id });
    } else if (m.op === 'ping') {
      send(publisher.ws, JSON.stringify({ op: 'pong', ...tag, time: Date.now() }));
    } else {
      send(publisher.ws, JSON.stringify({ op: 'error', code: 'bad_request', message: 'expected a tick or {"op":"flush"|"ping"}', ...tag }));
    }
  };

  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', server: 'node-baseline' }));
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'not_found', message: 'try /ws, /ingest or /health' } }));
    }
  });
  const subscribers = new WebSocketServer({ noServer: true });
  const ingest = new WebSocketServer({ noServer: true });
  let nextPublisher = 1;
  subscribers.on('connection', (ws) => out.connect(ws));
  ingest.on('connection', (ws) => {
    const publisher: Publisher = { id: nextPublisher++, ws, index: 0 };
    publishers.set(publisher.id, publisher);
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary)
        send(ws, JSON.stringify({ op: 'error', code: 'bad_request', message: 'the Node baseline takes NDJSON text frames only' }));
      else onIngest(publisher, data.toString());
    });
    ws.on('error', () => undefined);
    ws.on('close', () => publishers.delete(publisher.id));
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const wss = path === '/ws' ? subscribers : path === '/ingest' ? ingest : null;
    if (wss === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(args.port, args.host, resolve);
  });
  const address = http.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address !== null ? address.port : args.port })}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const wss of [subscribers, ingest]) for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    http.close();
    http.closeAllConnections();
    void worker.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

runCommand('baseline server', listenArgs('server.js', 9002), main);
