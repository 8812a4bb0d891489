// Commits one batch of records in one transaction (writer thread only).
//
// Final records are immutable, so a key already stored keeps its first write
// (ON CONFLICT DO NOTHING): results regenerated after a restore from a
// checkpoint are recognised here, and only a record stored for the first time
// goes to the outbox, in the same transaction. That is what makes the Kafka
// topics hold each final record once per key.
//
// A batch that fails is retried once. The retry puts each record in its own
// savepoint inside one transaction, so a transient failure (SQLITE_BUSY
// after the busy timeout, a full disk that was freed) commits the whole batch,
// while a record that can never be stored (a NaN in a NOT NULL column becomes
// NULL) costs only itself, not the other 999 records of its batch.
//
// Bars, indicators and alerts are stamped with stored_at, this thread's clock
// when their batch commits (one value per batch), which is what retention
// counts from. A regenerated record keeps the stamp of its first write.

import type { Database, Statement } from 'better-sqlite3';
import { alertMessage, barMessage, deadLetterMessage, indicatorMessage, type ResultMessage } from '../records/result-messages';
import { tickText } from './record-rows';
import type { StoredRecord } from './store-protocol';

export interface BatchOutcome {
  readonly stored: number;
  readonly failed: number;
  /** The first failure's message, or null when every record was stored. */
  readonly error: string | null;
}

type Bind = Array<string | number | null>;

/** The highest seq seen per channel in the records stored so far in this attempt. */
type SeqMarks = Map<string, number>;

export class BatchWriter {
  private readonly bar: Statement<Bind>;
  private readonly indicator: Statement<Bind>;
  private readonly alert: Statement<Bind>;
  private readonly deadLetter: Statement<Bind>;
  private readonly seqMark: Statement<[string, number]>;
  private readonly outboxRow: Statement<[string, string, string, string, number]>;
  private readonly checkpoint: Statement<[string, string, Buffer, number]>;
  private readonly chainLink: Statement<[string, string, Buffer, number, string]>;
  private readonly chainTrim: Statement<[string, string, number]>;
  private readonly clearChain: Statement<[string]>;
  private readonly clearCheckpoint: Statement<[string]>;
  private readonly whole: (records: readonly StoredRecord[]) => void;
  private readonly oneByOne: (records: readonly StoredRecord[]) => { failed: number; error: string | null };
  private readonly single: (record: StoredRecord, marks: SeqMarks) => void;
  /** stored_at of the batch being committed (ms since the epoch). */
  private storedAt = 0;

  constructor(
    db: Database,
    private readonly outbox: boolean,
  ) {
    this.bar = db.prepare<Bind>(`
      INSERT INTO bars (symbol, interval, window_start, bar_index, window_end, open, high, low, close, volume, vwap, trade_count, final,
                        complete, buy_volume, sell_volume, buy_count, sell_count, revision, channel, seq, stored_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (symbol, interval, window_start, bar_index) DO UPDATE SET
        window_end = excluded.window_end, open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
        volume = excluded.volume, vwap = excluded.vwap, trade_count = excluded.trade_count, revision = excluded.revision,
        channel = excluded.channel, seq = excluded.seq, stored_at = excluded.stored_at
      WHERE excluded.revision > bars.revision`);
    this.indicator = db.prepare<Bind>(`
      INSERT INTO indicators (symbol, window_start, window_end, ma, volatility, trade_count, revision, channel, seq, stored_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (symbol, window_start) DO UPDATE SET
        ma = excluded.ma, volatility = excluded.volatility, trade_count = excluded.trade_count, revision = excluded.revision,
        channel = excluded.channel, seq = excluded.seq, stored_at = excluded.stored_at
      WHERE excluded.revision > indicators.revision`);
    this.alert = db.prepare<Bind>(`
      INSERT INTO alerts (symbol, anomaly_type, severity, timestamp, price, volume, price_zscore, volume_ratio, spread_ratio, volatility,
                          channel, seq, origin, stored_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (symbol, anomaly_type, timestamp, origin) DO NOTHING`);
    this.outboxRow = db.prepare<[string, string, string, string, number]>(`
      INSERT INTO outbox (topic, key, value, headers, enqueued_at) VALUES (?, ?, ?, ?, ?)`);
    this.checkpoint = db.prepare<[string, string, Buffer, number]>(`
      INSERT INTO checkpoints (source, position, state, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (source) DO UPDATE SET position = excluded.position, state = excluded.state, created_at = excluded.created_at`);
    this.chainLink = db.prepare<[string, string, Buffer, number, string]>(`
      INSERT INTO checkpoint_chain (source, n, position, state, created_at)
      SELECT ?, coalesce(max(n), 0) + 1, ?, ?, ? FROM checkpoint_chain WHERE source = ?`);
    this.chainTrim = db.prepare<[string, string, number]>(`
      DELETE FROM checkpoint_chain WHERE source = ? AND n <= (SELECT max(n) FROM checkpoint_chain WHERE source = ?) - ?`);
    this.clearChain = db.prepare<[string]>('DELETE FROM checkpoint_chain WHERE source = ?');
    this.clearCheckpoint = db.prepare<[string]>('DELETE FROM checkpoints WHERE source = ?');
    this.deadLetter = db.prepare<Bind>(`
      INSERT INTO dead_letters (received_at, reason, field, message, line, raw, tick, truncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.seqMark = db.prepare<[string, number]>(`
      INSERT INTO channel_seqs (channel, seq) VALUES (?, ?)
      ON CONFLICT (channel) DO UPDATE SET seq = max(seq, excluded.seq)`);

    this.whole = db.transaction((records: readonly StoredRecord[]) => {
      const marks: SeqMarks = new Map();
      for (const record of records) this.put(record, marks);
      this.markSeqs(marks);
    });
    // better-sqlite3 runs a transaction function called inside another one as a savepoint.
    this.single = db.transaction((record: StoredRecord, marks: SeqMarks) => this.put(record, marks));
    this.oneByOne = db.transaction((records: readonly StoredRecord[]) => {
      const marks: SeqMarks = new Map();
      let failed = 0;
      let error: string | null = null;
      for (const record of records) {
        try {
          this.single(record, marks);
        } catch (cause) {
          failed++;
          error ??= (cause as Error).message;
        }
      }
      this.markSeqs(marks);
      return { failed, error };
    });
  }

  commit(records: readonly StoredRecord[]): BatchOutcome {
    this.storedAt = Date.now();
    try {
      this.whole(records);
      return { stored: records.length, failed: 0, error: null };
    } catch {
      try {
        const { failed, error } = this.oneByOne(records);
        return { stored: records.length - failed, failed, error };
      } catch (cause) {
        return { stored: 0, failed: records.length, error: (cause as Error).message };
      }
    }
  }

  private enqueue(message: ResultMessage): void {
    if (this.outbox) this.outboxRow.run(message.topic, message.key, message.value, JSON.stringify(message.headers), Date.now());
  }

  private put(stored: StoredRecord, marks: SeqMarks): void {
    switch (stored.kind) {
      case 'bar': {
        const r = stored.record;
        const { changes } = this.bar.run(
          r.symbol,
          r.interval,
          r.window_start,
          r.bar_index ?? -1,
          r.window_end,
          r.open,
          r.high,
          r.low,
          r.close,
          r.volume,
          r.vwap,
          r.trade_count,
          r.final ? 1 : 0,
          r.complete === undefined ? null : r.complete ? 1 : 0,
          r.buy_volume,
          r.sell_volume,
          r.buy_count,
          r.sell_count,
          r.revision ?? 0,
          stored.channel,
          stored.seq,
          this.storedAt,
        );
        if (changes === 1) this.enqueue(barMessage(r));
        break;
      }
      case 'indicator': {
        const r = stored.record;
        const { changes } = this.indicator.run(
          r.symbol,
          r.window_start,
          r.window_end,
          r.ma,
          r.volatility,
          r.trade_count,
          r.revision,
          stored.channel,
          stored.seq,
          this.storedAt,
        );
        if (changes === 1) this.enqueue(indicatorMessage(r));
        break;
      }
      case 'alert': {
        const r = stored.record;
        const { changes } = this.alert.run(
          r.symbol,
          r.anomaly_type,
          r.severity,
          r.timestamp,
          r.price,
          r.volume,
          r.price_zscore,
          r.volume_ratio,
          r.spread_ratio,
          r.volatility,
          stored.channel,
          stored.seq,
          stored.origin,
          this.storedAt,
        );
        if (changes === 1) this.enqueue(alertMessage(r, stored.origin));
        break;
      }
      case 'dead_letter': {
        const r = stored.record;
        const truncated = r.truncated === undefined ? null : JSON.stringify(r.truncated);
        this.deadLetter.run(stored.receivedAt, r.reason, r.field, r.message, r.line, r.raw ?? null, tickText(r), truncated);
        this.enqueue(deadLetterMessage(r));
        return;
      }
      case 'checkpoint':
        if (stored.keep === undefined) {
          this.checkpoint.run(stored.source, stored.position, Buffer.from(stored.state), Date.now());
          this.clearChain.run(stored.source);
        } else {
          this.chainLink.run(stored.source, stored.position, Buffer.from(stored.state), Date.now(), stored.source);
          this.chainTrim.run(stored.source, stored.source, stored.keep);
          this.clearCheckpoint.run(stored.source);
        }
        return;
    }
    const mark = marks.get(stored.channel);
    if (mark === undefined || stored.seq > mark) marks.set(stored.channel, stored.seq);
  }

  private markSeqs(marks: SeqMarks): void {
    for (const [channel, seq] of marks) this.seqMark.run(channel, seq);
  }
}
