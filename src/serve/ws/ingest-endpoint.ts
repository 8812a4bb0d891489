// /ingest: publishers send ticks as NDJSON text frames (one or more lines) or
// FlatBuffers TickBatch binary frames, and control lines ({"op":"flush"},
// {"op":"ping"}). Every dead-lettered tick, whether rejected here or dropped
// by a worker as duplicate or late, is answered with an error frame naming
// the tick by its 1-based index on the connection.
//
// A flush is scoped to its publisher (SPEC §3): it finalises the symbols this
// connection has published, never another publisher's; `"all": true` flushes
// every symbol and needs the admin role.
//
// A tick's dispatch origin (its RingTick origin) encodes the connection
// and the index, connection * 2^32 + index, so a worker's dead letter finds
// its way back to the publisher.

import { FlatBuffersDecoder } from '../../ingest/flatbuffers-decoder';
import type { DecodedSink } from '../../ingest/decoded-sink';
import { NdjsonDecoder } from '../../ingest/ndjson-decoder';
import { Rejection } from '../../records/rejection';
import { tickRecord, type ValidTick } from '../../ingest/tick-validator';
import type { Logger } from '../../log';
import type { DeadLetterRecord } from '../../records/records';
import { entitled, type Principal } from '../access/auth';
import type { Engine } from '../../partition/engine';
import type { FutureGuard } from './future-guard';
import { ErrorCode, controlFrame, errorFrame } from '../../records/protocol';
import { RateLimiter } from '../access/rate-limiter';

const ORIGIN_SPAN = 2 ** 32;
/** Origins below this are not /ingest ticks (sources use 0 or their line numbers). */
const FIRST_CONNECTION = 1;

export function ingestOrigin(connection: number, index: number): number {
  return connection * ORIGIN_SPAN + index;
}

export interface IngestSocket {
  send(message: string, isBinary?: boolean): number;
  cork(cb: () => void): unknown;
}

/**
 * The NDJSON lines of one connection's text frames: ticks are read from the
 * bytes as in a file, and control lines ({"op": ...}) are answered.
 */
class IngestLines extends NdjsonDecoder {
  constructor(
    private readonly connection: IngestConnection,
    private readonly endpoint: IngestEndpoint,
  ) {
    super(connection);
  }

  /** One text frame: its lines, the last one whether or not a newline ends it. */
  frame(data: ArrayBuffer): void {
    this.push(new Uint8Array(data));
    this.end();
  }

  protected override parsed(value: unknown, line: number, text: string): void {
    const op = (value as { op?: unknown } | null)?.op;
    if (op !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      this.endpoint.control(this.connection, value as Record<string, unknown>);
      return;
    }
    super.parsed(value, line, text);
  }
}

export class IngestConnection implements DecodedSink {
  /** Ticks (valid or not) received so far; the index of the last one. */
  index = 0;
  closed = false;
  /** Ids of the symbols this connection has handed to the engine: what its flush finalises. */
  readonly published = new Set<number>();
  readonly fb: FlatBuffersDecoder;
  readonly lines: IngestLines;

  constructor(
    readonly id: number,
    readonly ws: IngestSocket,
    readonly principal: Principal,
    readonly limiter: RateLimiter | null,
    private readonly endpoint: IngestEndpoint,
  ) {
    this.fb = new FlatBuffersDecoder(this);
    this.lines = new IngestLines(this, endpoint);
  }

  tick(tick: ValidTick): void {
    this.index++;
    this.endpoint.accept(this, tick);
  }

  reject(rejection: Rejection, _line: number, raw: string | null, fields: Record<string, unknown> | null): void {
    this.index++;
    this.endpoint.rejected(this, rejection, raw, fields);
  }
}

export class IngestCounters {
  connections = 0;
  frames = 0;
  ticks = 0;
  /** Flushes of a publisher's own symbols, and of every symbol (admin). */
  publisherFlushes = 0;
  allFlushes = 0;
}

/** The keys a flush line may carry. */
const FLUSH_KEYS = new Set(['op', 'id', 'all']);

export class IngestEndpoint {
  readonly counters = new IngestCounters();
  private readonly connections = new Map<number, IngestConnection>();
  private nextId = FIRST_CONNECTION;

  constructor(
    private readonly pipeline: Engine,
    private readonly rateLimit: number,
    /** Every dead letter, for the store and metrics. */
    private readonly onDeadLetter: (record: DeadLetterRecord) => void,
    private readonly futureGuard: FutureGuard,
    private readonly log: Logger,
  ) {}

  get openConnections(): number {
    return this.connections.size;
  }

  open(ws: IngestSocket, principal: Principal): IngestConnection {
    const id = this.nextId++;
    const limiter = this.rateLimit > 0 ? new RateLimiter(this.rateLimit, this.rateLimit, Date.now()) : null;
    const connection = new IngestConnection(id, ws, principal, limiter, this);
    this.connections.set(id, connection);
    this.counters.connections++;
    return connection;
  }

  close(connection: IngestConnection): void {
    connection.closed = true;
    this.connections.delete(connection.id);
  }

  message(connection: IngestConnection, data: ArrayBuffer, isBinary: boolean): void {
    this.counters.frames++;
    if (isBinary) {
      // Copied: uWebSockets.js frees the ArrayBuffer when the handler returns.
      connection.fb.decodeBatch(new Uint8Array(data.slice(0)));
    } else {
      connection.lines.frame(data);
    }
    this.pipeline.publish();
  }

  /** A control line: flush or ping, answered on the connection. */
  control(connection: IngestConnection, line: Record<string, unknown>): void {
    const { op, id } = line;
    const tag = id === undefined ? {} : { id };
    if (op === 'flush') {
      this.flush(connection, line, tag);
    } else if (op === 'ping') {
      this.reply(connection, controlFrame({ op: 'pong', ...tag, time: Date.now() }));
    } else {
      this.reply(connection, errorFrame(ErrorCode.BAD_REQUEST, 'expected a tick or {"op":"flush"|"ping"}', tag));
    }
  }

  /**
   * `{"op":"flush"}` finalises the symbols this connection published;
   * `{"op":"flush","all":true}` every symbol, for the admin role only. Any
   * other key is an error rather than silently ignored, so that a client
   * who meant to narrow a flush (`"symbol": ...`) learns it cannot.
   */
  private flush(connection: IngestConnection, line: Record<string, unknown>, tag: Record<string, unknown>): void {
    const unknown = Object.keys(line).filter((key) => !FLUSH_KEYS.has(key));
    if (unknown.length > 0 || (line.all !== undefined && typeof line.all !== 'boolean')) {
      this.reply(
        connection,
        errorFrame(
          ErrorCode.BAD_REQUEST,
          `a flush takes only "id" and "all" (true: every symbol, admin role); got ` +
            `${unknown.length > 0 ? unknown.map((k) => JSON.stringify(k)).join(', ') : '"all" that is not a boolean'}`,
          tag,
        ),
      );
      return;
    }
    const all = line.all === true;
    if (all && !connection.principal.roles.has('admin')) {
      this.reply(
        connection,
        errorFrame(
          ErrorCode.FORBIDDEN,
          'a flush of every symbol needs the admin role; {"op":"flush"} flushes the symbols this connection published',
          tag,
        ),
      );
      return;
    }
    this.pipeline.publish();
    const symbols = all ? null : [...connection.published];
    if (all) {
      this.counters.allFlushes++;
      this.log.info('every symbol flushed by an admin', { token: connection.principal.name, connection: connection.id });
    } else {
      this.counters.publisherFlushes++;
    }
    void this.pipeline.flush(symbols).then(() => {
      this.reply(
        connection,
        controlFrame({ op: 'flushed', ...tag, ...(symbols === null ? { all: true as const } : { symbols: symbols.length }) }),
      );
    });
  }

  /** A valid tick from a connection: entitlement, rate and clock checks, then the engine. */
  accept(connection: IngestConnection, tick: ValidTick): void {
    if (!entitled(connection.principal, tick.symbol)) {
      this.rejected(connection, new Rejection('not_entitled', 'symbol', `not entitled to publish ${tick.symbol}`), null, {
        symbol: tick.symbol,
      });
      return;
    }
    if (connection.limiter !== null && !connection.limiter.take(Date.now())) {
      this.rejected(connection, new Rejection('rate_limited', '', `over ${this.rateLimit} ticks per second`), null, {
        symbol: tick.symbol,
      });
      return;
    }
    const future = this.futureGuard.check(tick);
    if (future !== null) {
      this.rejected(connection, future, null, tickRecord(tick));
      return;
    }
    this.counters.ticks++;
    connection.published.add(this.pipeline.ingest(tick, ingestOrigin(connection.id, connection.index)));
  }

  rejected(connection: IngestConnection, rejection: Rejection, raw: string | null, fields: Record<string, unknown> | null): void {
    const record: DeadLetterRecord = {
      type: 'dead_letter',
      reason: rejection.reason,
      field: rejection.field,
      message: rejection.message,
      line: connection.index,
      ...(raw === null ? {} : { raw }),
      ...(fields === null ? {} : { tick: fields }),
    };
    this.deadLetter(connection, record);
  }

  /** A worker's dead letter (duplicate, late) for a tick with this dispatch origin. */
  workerDeadLetter(record: DeadLetterRecord, origin: number): void {
    const connection = this.connections.get(Math.floor(origin / ORIGIN_SPAN));
    const index = origin % ORIGIN_SPAN;
    const local = { ...record, line: connection === undefined ? record.line : index };
    if (connection === undefined) {
      this.onDeadLetter(local);
      return;
    }
    this.deadLetter(connection, local);
  }

  private deadLetter(connection: IngestConnection, record: DeadLetterRecord): void {
    this.onDeadLetter(record);
    this.reply(
      connection,
      errorFrame(ErrorCode.REJECTED, record.message, { reason: record.reason, field: record.field, tick: record.line }),
    );
  }

  private reply(connection: IngestConnection, text: string): void {
    if (connection.closed) return;
    connection.ws.cork(() => connection.ws.send(text, false));
  }
}
