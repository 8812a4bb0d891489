// The dead letters of /ingest publishers: each is counted, and stored and
// answered with an error frame naming the tick, up to the publisher's budget
// a second (--ingest-reject-limit, reject-budget.ts); past it, the second's
// rest is summarised in one stored dead letter and one error frame. Apart
// from the endpoint (ingest-endpoint.ts), whose business is taking ticks in
// order, because what is told to a publisher about a tick it lost is a
// subject of its own.

import type { DeadLetterRecord } from '../../records/records';
import type { Rejection } from '../../records/rejection';
import { ErrorCode, errorFrame } from '../../records/protocol';
import type { IngestConnection } from './ingest-connection';
import type { IngestCounters } from './ingest-counters';
import { summaryMessage } from './reject-budget';

/** Where dead letters go: counted (metrics) and stored (the store and the Kafka outbox), apart. */
export interface DeadLetterSink {
  count(record: DeadLetterRecord): void;
  store(record: DeadLetterRecord): void;
}

export class IngestDeadLetters {
  constructor(
    private readonly sink: DeadLetterSink,
    private readonly counters: IngestCounters,
  ) {}

  /** A tick of the connection, its last one so far, rejected on /ingest. */
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
    this.answer(connection, record);
  }

  /** A dead letter of a connection that is gone: counted and stored, answered to no one. */
  unanswered(record: DeadLetterRecord): void {
    this.sink.count(record);
    this.sink.store(record);
  }

  answer(connection: IngestConnection, record: DeadLetterRecord): void {
    this.sink.count(record);
    const now = Date.now();
    if (!connection.rejects.admit(record.reason, now)) {
      this.counters.unstoredDeadLetters++;
      connection.summaryTimer ??= setTimeout(() => this.summarise(connection), connection.rejects.remaining(now));
      return;
    }
    this.sink.store(record);
    connection.reply(errorFrame(ErrorCode.REJECTED, record.message, { reason: record.reason, field: record.field, tick: record.line }));
  }

  /** The connection closed: a summary still booked is given now, not when its second ends. */
  closed(connection: IngestConnection): void {
    if (connection.summaryTimer !== null) {
      clearTimeout(connection.summaryTimer);
      this.summarise(connection);
    }
  }

  /** One stored dead letter and one error frame for the dead letters of a second past the budget. */
  private summarise(connection: IngestConnection): void {
    connection.summaryTimer = null;
    const summary = connection.rejects.take();
    if (summary === null) return;
    const message = summaryMessage(summary);
    const reason = summary.reasons[0]?.[0] ?? '';
    this.sink.store({ type: 'dead_letter', reason, field: '', message, line: connection.index });
    const reasons = Object.fromEntries(summary.reasons);
    connection.reply(errorFrame(ErrorCode.REJECTED, message, { reason, unstored: summary.unstored, reasons, tick: connection.index }));
  }
}
