// /ingest: publishers send ticks as NDJSON text frames (one or more lines) or
// FlatBuffers TickBatch binary frames, and control lines ({"op":"flush"},
// {"op":"ping"}). Every dead-lettered tick, whether rejected here or dropped
// by a worker as duplicate or late, is answered with an error frame naming
// the tick by its 1-based index on the connection. Beside this file: each
// connection's state (ingest-connection.ts), the dead letters and their
// summaries (ingest-dead-letters.ts), and the publisher-scoped flush
// (ingest-flush.ts); what stays here is taking ticks in order.
//
// A tick's dispatch origin (its RingTick origin) encodes the connection
// and the index, connection * 2^32 + index, so a worker's dead letter finds
// its way back to the publisher.
//
// Flow control: the event loop never waits for a partition, and no
// publisher has it for long. A text frame is read at most READ_SLICE bytes
// per turn of the event loop (other sockets, subscribers and /health are
// served in between); what a publisher sends meanwhile waits, in order. When
// a tick's partition ring is full, the rest of what was read waits too, until
// the engine says the partition has room. A publisher whose ring is full, or
// whose unread frames pass half of --ingest-queue-kib, is told
// {"op":"slow_down"}, and {"op":"go_ahead"} once everything was read; a frame
// that would pass --ingest-queue-kib is not read: the connection is closed
// with 4009. Nothing read or queued is dropped, even when its publisher
// disconnects.

import { Rejection } from '../../records/rejection';
import { ValidTick, tickRecord } from '../../ingest/tick-validator';
import type { Logger } from '../../log';
import type { DeadLetterRecord } from '../../records/records';
import { entitled, type Principal } from '../access/auth';
import type { Engine } from '../../partition/engine';
import type { FutureGuard } from './future-guard';
import { CloseCode, ErrorCode, controlFrame, errorFrame } from '../../records/protocol';
import { RateLimiter } from '../access/rate-limiter';
import { IngestConnection, type IngestReceiver, type IngestSocket, type Unread, type Waiting } from './ingest-connection';
import { IngestCounters } from './ingest-counters';
import { IngestDeadLetters, type DeadLetterSink } from './ingest-dead-letters';
import { IngestFlush } from './ingest-flush';

const ORIGIN_SPAN = 2 ** 32;
/** Origins below this are not /ingest ticks (sources use 0 or their line numbers). */
const FIRST_CONNECTION = 1;

export function ingestOrigin(connection: number, index: number): number {
  return connection * ORIGIN_SPAN + index;
}

/**
 * NDJSON bytes of one publisher read per turn of the event loop: about a
 * quarter of a millisecond of decoding and dispatch (some 190 ticks). A publisher that
 * sends more waits for the next turn, so the others are read in between.
 */
export const READ_SLICE = 16 * 1024;

/** The limits of one publisher. */
export interface IngestLimits {
  /** --ingest-rate-limit: ticks a second, 0 for none. */
  readonly rateLimit: number;
  /** --ingest-queue-kib in bytes: what one publisher may have unread. */
  readonly queueLimit: number;
  /** --ingest-reject-limit: dead letters stored and answered one by one a second, 0 for none. */
  readonly rejectLimit: number;
}

export class IngestEndpoint implements IngestReceiver {
  readonly counters = new IngestCounters();
  private readonly connections = new Map<number, IngestConnection>();
  /** Connections with anything not yet taken (closed ones included, until it is). */
  private readonly busy = new Set<IngestConnection>();
  private settledWaiters: Array<() => void> = [];
  private nextId = FIRST_CONNECTION;

  private readonly rateLimit: number;
  private readonly queueLimit: number;
  private readonly deadLetters: IngestDeadLetters;
  private readonly flushes: IngestFlush;

  constructor(
    private readonly pipeline: Engine,
    private readonly limits: IngestLimits,
    deadLetters: DeadLetterSink,
    private readonly futureGuard: FutureGuard,
    private readonly log: Logger,
  ) {
    this.rateLimit = limits.rateLimit;
    this.queueLimit = limits.queueLimit;
    this.deadLetters = new IngestDeadLetters(deadLetters, this.counters);
    this.flushes = new IngestFlush(pipeline, this.counters, log);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Publishers told slow_down and not yet go_ahead. */
  get heldConnections(): number {
    let held = 0;
    for (const connection of this.busy) if (connection.slowed) held++;
    return held;
  }

  /** Bytes of frames not yet read, over every publisher. */
  get queuedBytes(): number {
    let bytes = 0;
    for (const connection of this.busy) bytes += connection.unreadBytes;
    return bytes;
  }

  /** Resolves when every publisher's ticks were taken (at shutdown, after publishers were closed). */
  settled(): Promise<void> {
    if (this.busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  open(ws: IngestSocket, principal: Principal): IngestConnection {
    const id = this.nextId++;
    const limiter = this.rateLimit > 0 ? new RateLimiter(this.rateLimit, this.rateLimit, Date.now()) : null;
    const connection = new IngestConnection(id, ws, principal, limiter, this.limits.rejectLimit, this);
    this.connections.set(id, connection);
    this.counters.connections++;
    return connection;
  }

  close(connection: IngestConnection): void {
    connection.closed = true;
    this.connections.delete(connection.id);
    this.deadLetters.closed(connection);
  }

  message(connection: IngestConnection, data: ArrayBuffer, isBinary: boolean): void {
    this.counters.frames++;
    if (connection.busy) {
      this.enqueue(connection, data, isBinary);
      return;
    }
    if (!isBinary && data.byteLength > READ_SLICE) {
      // Read in slices over several turns: copied, since uWebSockets.js frees
      // the ArrayBuffer when the handler returns.
      this.enqueue(connection, data, isBinary);
      this.pump(connection);
      return;
    }
    // Binary frames are copied: the decoder keeps views of the batch.
    if (isBinary) connection.fb.decodeBatch(new Uint8Array(data.slice(0)));
    else connection.lines.frame(new Uint8Array(data));
    this.pipeline.publish();
    if (connection.busy) this.busy.add(connection);
  }

  /** A frame that cannot be read now: kept in order, up to the bound; past it, the connection is closed. */
  private enqueue(connection: IngestConnection, data: ArrayBuffer, binary: boolean): void {
    if (connection.unreadBytes > 0 && connection.unreadBytes + data.byteLength > this.queueLimit) {
      if (connection.closed) return;
      this.counters.queueCloses++;
      this.log.warn('publisher closed: its unread frames passed --ingest-queue-kib', {
        token: connection.principal.name,
        connection: connection.id,
        unread: connection.unreadBytes,
        partition: connection.waitingFor,
      });
      connection.ws.end(
        CloseCode.PUBLISHER_QUEUE_FULL,
        `over --ingest-queue-kib (${this.queueLimit >> 10}) of unread frames; this frame was not read`,
      );
      return;
    }
    connection.unread.push({ data: new Uint8Array(data.slice(0)), binary, offset: 0 });
    connection.unreadBytes += data.byteLength;
    this.busy.add(connection);
    if (!connection.slowed && connection.unreadBytes > this.queueLimit / 2) this.slowDown(connection);
  }

  /** A tick past the publisher's checks: to its partition, or, when that is full, the connection waits for it. */
  private offer(connection: IngestConnection, tick: ValidTick, origin: number): boolean {
    const result = this.pipeline.offer(tick, origin);
    if (result >= 0) {
      connection.published.add(result);
      return true;
    }
    const partition = -1 - result;
    connection.waitingFor = partition;
    this.busy.add(connection);
    if (!connection.slowed) this.slowDown(connection);
    void this.pipeline.whenRoom(partition).then(() => {
      connection.waitingFor = -1;
      this.pump(connection);
    });
    return false;
  }

  private slowDown(connection: IngestConnection): void {
    connection.slowed = true;
    this.counters.slowDowns++;
    connection.reply(controlFrame({ op: 'slow_down', unread_bytes: connection.unreadBytes, partition: connection.waitingFor }));
  }

  /**
   * Reads on: what waited for a partition first, then up to READ_SLICE bytes
   * of unread frames; then books the next turn, or waits for the partition
   * that is full, or, with everything taken, tells the publisher go_ahead.
   */
  private pump(connection: IngestConnection): void {
    connection.booked = false;
    const waiting = connection.waiting;
    let done = 0;
    for (; done < waiting.length && connection.waitingFor < 0; done++) {
      const next = waiting.at(done) as Waiting;
      if ('control' in next) this.control(connection, next.control);
      else if (!this.offer(connection, next.tick, next.origin)) break;
    }
    waiting.drop(done);
    let budget = READ_SLICE;
    while (budget > 0 && connection.waitingFor < 0 && connection.unread.length > 0) {
      const head = connection.unread.peek() as Unread;
      let used: number;
      if (head.binary) {
        connection.fb.decodeBatch(head.data);
        used = head.data.length;
        connection.unread.drop(1);
      } else {
        const end = Math.min(head.data.length, head.offset + budget);
        connection.lines.push(head.data.subarray(head.offset, end));
        used = end - head.offset;
        head.offset = end;
        if (end === head.data.length) {
          connection.lines.end();
          connection.unread.drop(1);
        }
      }
      connection.unreadBytes -= used;
      budget -= used;
    }
    this.pipeline.publish();
    if (connection.waitingFor >= 0) return;
    if (connection.busy) {
      if (!connection.booked) {
        connection.booked = true;
        setImmediate(() => this.pump(connection));
      }
      return;
    }
    this.busy.delete(connection);
    if (connection.slowed) {
      connection.slowed = false;
      connection.reply(controlFrame({ op: 'go_ahead' }));
    }
    if (this.busy.size === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** A control line: flush or ping, answered on the connection, after every tick before it was taken. */
  control(connection: IngestConnection, line: Record<string, unknown>): void {
    if (connection.waitingFor >= 0) {
      connection.waiting.push({ control: line });
      return;
    }
    const { op, id } = line;
    const tag = id === undefined ? {} : { id };
    if (op === 'flush') {
      this.flushes.flush(connection, line, tag);
    } else if (op === 'ping') {
      connection.reply(controlFrame({ op: 'pong', ...tag, time: Date.now() }));
    } else {
      connection.reply(errorFrame(ErrorCode.BAD_REQUEST, 'expected a tick or {"op":"flush"|"ping"}', tag));
    }
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
    const origin = ingestOrigin(connection.id, connection.index);
    if (connection.waitingFor >= 0) {
      // The decoder reuses its tick: what waits is a copy.
      connection.waiting.push({ tick: Object.assign(new ValidTick(), tick), origin });
      return;
    }
    if (!this.offer(connection, tick, origin)) connection.waiting.push({ tick: Object.assign(new ValidTick(), tick), origin });
  }

  rejected(connection: IngestConnection, rejection: Rejection, raw: string | null, fields: Record<string, unknown> | null): void {
    this.deadLetters.rejected(connection, rejection, raw, fields);
  }

  /** A worker's dead letter (duplicate, late) for a tick with this dispatch origin. */
  workerDeadLetter(record: DeadLetterRecord, origin: number): void {
    const connection = this.connections.get(Math.floor(origin / ORIGIN_SPAN));
    const index = origin % ORIGIN_SPAN;
    const local = { ...record, line: connection === undefined ? record.line : index };
    if (connection === undefined) {
      this.deadLetters.unanswered(local);
      return;
    }
    this.deadLetters.answer(connection, local);
  }
}
