// The history queries, prepared once per read-only connection (reader
// threads only). Each statement runs to completion in `.all()`, so no read
// transaction stays open to hold back WAL checkpoints.

import type { Database, Statement } from 'better-sqlite3';
import {
  ALERT_COLUMNS,
  BAR_COLUMNS,
  DEAD_LETTER_COLUMNS,
  INDICATOR_COLUMNS,
  alertFromRow,
  barFromRow,
  deadLetterFromRow,
  indicatorFromRow,
  type AlertRow,
  type BarRow,
  type DeadLetterRow,
  type IndicatorRow,
} from './record-rows';
import type { ChannelEntry, ReadResults, ReadTask, ReadTaskOf } from './store-protocol';

type Seq = { readonly seq: number };
type ChannelParams = [channel: string, afterSeq: number, limit: number];
type TailParams = [channel: string, limit: number];
type Range = { from: number; to: number; limit: number };

export class StoreQueries {
  private readonly bars: Statement<[{ symbol: string; interval: string } & Range], BarRow>;
  private readonly alertsOfSymbol: Statement<[{ symbol: string; type: string | null } & Range], AlertRow>;
  private readonly alertsOfAll: Statement<[{ type: string | null } & Range], AlertRow>;
  private readonly deadLetters: Statement<[Range], DeadLetterRow>;
  private readonly barChannel: Statement<ChannelParams, BarRow & Seq>;
  private readonly indicatorChannel: Statement<ChannelParams, IndicatorRow & Seq>;
  private readonly alertChannel: Statement<ChannelParams, AlertRow & Seq>;
  private readonly barTail: Statement<TailParams, BarRow & Seq>;
  private readonly indicatorTail: Statement<TailParams, IndicatorRow & Seq>;
  private readonly alertTail: Statement<TailParams, AlertRow & Seq>;
  private readonly seqs: Statement<[], { channel: string; seq: number }>;
  private readonly swept: Statement<[string], { swept: number }>;
  private readonly checkpoint: Statement<[string], { position: string; state: Buffer; created_at: number }>;
  private readonly checkpointChain: Statement<[string], { position: string; state: Buffer; created_at: number }>;

  constructor(db: Database) {
    this.bars = db.prepare(`SELECT ${BAR_COLUMNS} FROM bars
      WHERE symbol = @symbol AND interval = @interval AND window_start >= @from AND window_start < @to
      ORDER BY window_start LIMIT @limit`);
    // Two statements rather than `symbol IS NULL OR …`, so each gets its
    // index: (symbol, timestamp) or (timestamp). Both indexes end in the
    // rowid, so `ORDER BY timestamp, id` needs no sort.
    this.alertsOfSymbol = db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts
      WHERE symbol = @symbol AND timestamp >= @from AND timestamp < @to AND (@type IS NULL OR anomaly_type = @type)
      ORDER BY timestamp, id LIMIT @limit`);
    this.alertsOfAll = db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts
      WHERE timestamp >= @from AND timestamp < @to AND (@type IS NULL OR anomaly_type = @type)
      ORDER BY timestamp, id LIMIT @limit`);
    this.deadLetters = db.prepare(`SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters
      WHERE received_at >= @from AND received_at < @to ORDER BY received_at, id LIMIT @limit`);
    this.barChannel = db.prepare(`SELECT seq, ${BAR_COLUMNS} FROM bars WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.indicatorChannel = db.prepare(
      `SELECT seq, ${INDICATOR_COLUMNS} FROM indicators WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    this.alertChannel = db.prepare(`SELECT seq, ${ALERT_COLUMNS} FROM alerts WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?`);
    // The newest records of a channel: the (channel, seq) index read backwards.
    this.barTail = db.prepare(`SELECT seq, ${BAR_COLUMNS} FROM bars WHERE channel = ? ORDER BY seq DESC LIMIT ?`);
    this.indicatorTail = db.prepare(`SELECT seq, ${INDICATOR_COLUMNS} FROM indicators WHERE channel = ? ORDER BY seq DESC LIMIT ?`);
    this.alertTail = db.prepare(`SELECT seq, ${ALERT_COLUMNS} FROM alerts WHERE channel = ? ORDER BY seq DESC LIMIT ?`);
    this.seqs = db.prepare('SELECT channel, seq FROM channel_seqs ORDER BY channel');
    this.swept = db.prepare('SELECT swept FROM channel_seqs WHERE channel = ?');
    this.checkpoint = db.prepare('SELECT position, state, created_at FROM checkpoints WHERE source = ?');
    this.checkpointChain = db.prepare('SELECT position, state, created_at FROM checkpoint_chain WHERE source = ? ORDER BY n');
  }

  run(task: ReadTask): ReadResults[ReadTask['op']] {
    switch (task.op) {
      case 'bars':
        return this.bars.all(task).map(barFromRow);
      case 'alerts': {
        const range = { type: task.anomalyType, from: task.from, to: task.to, limit: task.limit };
        const rows = task.symbol === null ? this.alertsOfAll.all(range) : this.alertsOfSymbol.all({ symbol: task.symbol, ...range });
        return rows.map(alertFromRow);
      }
      case 'dead-letters':
        return this.deadLetters.all(task).map((row) => ({ receivedAt: row.received_at, record: deadLetterFromRow(row) }));
      case 'channel':
        return this.channel(task);
      case 'max-seq':
        return this.seqs.all().map((row): [string, number] => [row.channel, row.seq]);
      case 'swept':
        return this.swept.get(task.channel)?.swept ?? 0;
      case 'checkpoint': {
        const chain = this.checkpointChain.all(task.source);
        const single = chain.length === 0 ? this.checkpoint.get(task.source) : undefined;
        const rows = single === undefined ? chain : [single];
        const last = rows[rows.length - 1];
        if (last === undefined) return null;
        return { position: last.position, states: rows.map((r) => new Uint8Array(r.state)), createdAt: last.created_at };
      }
    }
  }

  private channel(task: ReadTaskOf<'channel'>): ChannelEntry[] {
    if (task.last === true) return this.tail(task).reverse();
    const params: ChannelParams = [task.channel, task.afterSeq, task.limit];
    switch (task.table) {
      case 'bars':
        return this.barChannel.all(...params).map((row) => ({ seq: row.seq, record: barFromRow(row) }));
      case 'indicators':
        return this.indicatorChannel.all(...params).map((row) => ({ seq: row.seq, record: indicatorFromRow(row) }));
      case 'alerts':
        return this.alertChannel.all(...params).map((row) => ({ seq: row.seq, record: alertFromRow(row) }));
    }
  }

  private tail(task: ReadTaskOf<'channel'>): ChannelEntry[] {
    const params: TailParams = [task.channel, task.limit];
    switch (task.table) {
      case 'bars':
        return this.barTail.all(...params).map((row) => ({ seq: row.seq, record: barFromRow(row) }));
      case 'indicators':
        return this.indicatorTail.all(...params).map((row) => ({ seq: row.seq, record: indicatorFromRow(row) }));
      case 'alerts':
        return this.alertTail.all(...params).map((row) => ({ seq: row.seq, record: alertFromRow(row) }));
    }
  }
}
