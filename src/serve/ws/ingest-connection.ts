// One /ingest publisher as the endpoint keeps it: its decoders, what it sent
// that is not yet read or taken, its flow-control flags and its dead-letter
// budget. Apart from the endpoint (ingest-endpoint.ts) because this is state
// the endpoint's flow control and dead-letter answering both act on; the
// connection itself decides nothing and hands every tick, dead letter and
// control line to its receiver, the endpoint.

import { FlatBuffersDecoder } from '../../ingest/flatbuffers-decoder';
import type { DecodedSink } from '../../ingest/decoded-sink';
import { NdjsonDecoder } from '../../ingest/ndjson-decoder';
import type { ValidTick } from '../../ingest/tick-validator';
import type { Rejection } from '../../records/rejection';
import type { Principal } from '../access/auth';
import type { RateLimiter } from '../access/rate-limiter';
import { Fifo } from './fifo';
import { RejectBudget } from './reject-budget';

export interface IngestSocket {
  send(message: string, isBinary?: boolean): number;
  cork(cb: () => void): unknown;
  end(code?: number, shortMessage?: string): void;
}

/** What waits, in arrival order, behind a tick a full partition did not take. */
export type Waiting = { readonly tick: ValidTick; readonly origin: number } | { readonly control: Record<string, unknown> };

/** A frame, or the rest of one, not yet read. */
export interface Unread {
  readonly data: Uint8Array;
  readonly binary: boolean;
  offset: number;
}

/**
 * Where a connection's decoded ticks, dead letters and control lines go: the
 * endpoint. An interface rather than the endpoint's class, so that the
 * endpoint and its connections do not import each other.
 */
export interface IngestReceiver {
  accept(connection: IngestConnection, tick: ValidTick): void;
  rejected(connection: IngestConnection, rejection: Rejection, raw: string | null, fields: Record<string, unknown> | null): void;
  control(connection: IngestConnection, line: Record<string, unknown>): void;
}

/**
 * The NDJSON lines of one connection's text frames: ticks are read from the
 * bytes as in a file, and control lines ({"op": ...}) are answered.
 */
class IngestLines extends NdjsonDecoder {
  constructor(
    private readonly connection: IngestConnection,
    private readonly receiver: IngestReceiver,
  ) {
    super(connection);
  }

  /** One text frame: its lines, the last one whether or not a newline ends it. */
  frame(data: Uint8Array): void {
    this.push(data);
    this.end();
  }

  protected override parsed(value: unknown, line: number, text: string): void {
    const op = (value as { op?: unknown } | null)?.op;
    if (op !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      this.receiver.control(this.connection, value as Record<string, unknown>);
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
  /** The partition whose full ring holds this connection, or -1. */
  waitingFor = -1;
  /** Ticks and control lines read but not yet taken because a partition was full, in order. */
  readonly waiting = new Fifo<Waiting>();
  /** Frames, or the rest of one, not yet read, in order. */
  readonly unread = new Fifo<Unread>();
  unreadBytes = 0;
  /** A later turn of the event loop is booked to read on. */
  booked = false;
  /** Told slow_down, and not yet go_ahead. */
  slowed = false;
  /** Dead letters stored and answered one by one this second (--ingest-reject-limit). */
  readonly rejects: RejectBudget;
  /** The summary of this second's dead letters past the budget is booked. */
  summaryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    readonly ws: IngestSocket,
    readonly principal: Principal,
    readonly limiter: RateLimiter | null,
    rejectLimit: number,
    private readonly receiver: IngestReceiver,
  ) {
    this.rejects = new RejectBudget(rejectLimit);
    this.fb = new FlatBuffersDecoder(this);
    this.lines = new IngestLines(this, receiver);
  }

  /** Whether anything this connection sent is not yet taken by the engine. */
  get busy(): boolean {
    return this.waitingFor >= 0 || this.waiting.length > 0 || this.unread.length > 0;
  }

  tick(tick: ValidTick): void {
    this.index++;
    this.receiver.accept(this, tick);
  }

  reject(rejection: Rejection, _line: number, raw: string | null, fields: Record<string, unknown> | null): void {
    this.index++;
    this.receiver.rejected(this, rejection, raw, fields);
  }

  /** A text frame to the publisher; nothing once the connection is closed. */
  reply(text: string): void {
    if (this.closed) return;
    this.ws.cork(() => this.ws.send(text, false));
  }
}
