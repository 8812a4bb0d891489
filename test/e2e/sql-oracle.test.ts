// The engine against SQL: bars, indicators and alerts of a generated in-order
// stream computed by SQLite (a GROUP BY over epoch-aligned buckets; window
// functions over RANGE BETWEEN 300000 PRECEDING AND CURRENT ROW), the trade
// side of every trade (the latest quote at or before it, then a running
// "last decisive side"), and tick bars (row numbers in settle order),
// compared with `tickflow replay` to 1e-9 relative, for 1 and for 3
// partitions.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { records, tickflow } from '../fixtures/cli';
import { diffRecords, type Row } from '../fixtures/compare';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-sql-'));
const feed = join(dir, 'feed.ndjson');
const db = new Database(join(dir, 'oracle.db'));
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const RELATIVE = 1e-9;
const INTERVALS: ReadonlyArray<readonly [string, number]> = [
  ['1s', 1000],
  ['1m', 60_000],
  ['5m', 300_000],
];
/** Tick bars of this many trades. */
const TICK_BAR = 250;

before(() => {
  const gen = tickflow([
    'gen',
    '--symbols',
    '30',
    '--rate',
    '1500',
    '--duration',
    '15m',
    '--seed',
    '42',
    '--anomaly-rate',
    '0.003',
    '--out',
    feed,
  ]);
  assert.equal(gen.status, 0, gen.stderr);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE ticks (
    arrival INTEGER PRIMARY KEY, symbol TEXT NOT NULL, event_type TEXT NOT NULL, ts INTEGER NOT NULL,
    price REAL, volume INTEGER, bid REAL, ask REAL)`);
  const insert = db.prepare('INSERT INTO ticks (symbol, event_type, ts, price, volume, bid, ask) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const t of records(readFileSync(feed, 'utf8'))) {
      insert.run(t.symbol, t.event_type, t.timestamp, t.price ?? null, t.volume ?? 0, t.bid ?? null, t.ask ?? null);
    }
  })();
  // Every trade's side (SPEC §1): against the mid of the quote with the
  // greatest timestamp <= its own (ties: latest arrival), else by the tick
  // rule against the previous trade in (timestamp, arrival) order. A trade
  // decided by neither rule repeats the side of the trade before it, that is
  // the last decisive side so far: the decisive sides are counted in a
  // running COUNT, and each trade takes the first side of its count's group.
  db.exec(`
    CREATE TABLE quotes AS SELECT arrival, symbol, ts, (bid + ask) / 2.0 AS mid FROM ticks WHERE event_type IN ('QUOTE', 'BBO');
    CREATE INDEX quotes_at ON quotes (symbol, ts, arrival);
    CREATE TABLE trade_sides AS
    WITH t AS (
      SELECT arrival, symbol, ts, price, volume,
        (SELECT mid FROM quotes q WHERE q.symbol = tr.symbol AND q.ts <= tr.ts ORDER BY q.ts DESC, q.arrival DESC LIMIT 1) AS mid,
        LAG(price) OVER (PARTITION BY symbol ORDER BY ts, arrival) AS prev
      FROM ticks tr WHERE event_type = 'TRADE'),
    d AS (
      SELECT *,
        CASE WHEN price > mid THEN 1 WHEN price < mid THEN -1 WHEN price > prev THEN 1 WHEN price < prev THEN -1 END AS decisive
      FROM t),
    g AS (SELECT *, COUNT(decisive) OVER (PARTITION BY symbol ORDER BY ts, arrival ROWS UNBOUNDED PRECEDING) AS grp FROM d)
    SELECT arrival, symbol, ts, price, volume,
      COALESCE(FIRST_VALUE(decisive) OVER (PARTITION BY symbol, grp ORDER BY ts, arrival), 0) AS side,
      ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts, arrival) AS rn
    FROM g;
  `);
});

/** Trade-side sums of the trades a GROUP BY holds. */
const SIDE_SUMS = `
  SUM(CASE WHEN side = 1 THEN volume ELSE 0 END) AS buy_volume, SUM(CASE WHEN side = -1 THEN volume ELSE 0 END) AS sell_volume,
  SUM(side = 1) AS buy_count, SUM(side = -1) AS sell_count, 0 AS revision`;

/** The `f` step: each trade of `b` with the first and last price of its bar (`bucket`) in settle order. */
function openClose(bucket: string): string {
  return `f AS (
      SELECT *, FIRST_VALUE(price) OVER w AS open_price, LAST_VALUE(price) OVER w AS close_price
      FROM b
      WINDOW w AS (PARTITION BY symbol, ${bucket} ORDER BY ts, arrival
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))`;
}

/** A bar's OHLCV columns over the trades `f` groups. */
const OHLCV = `MIN(open_price) AS open, MAX(price) AS high, MIN(price) AS low, MIN(close_price) AS close,
      SUM(volume) AS volume, CASE WHEN SUM(volume) = 0 THEN NULL ELSE SUM(price * volume) / SUM(volume) END AS vwap,
      COUNT(*) AS trade_count`;

function tickBarsBySql(label: string, size: number): Row[] {
  return db
    .prepare(
      `
    WITH b AS (SELECT *, (rn - 1) / CAST(@size AS INTEGER) AS bar_index FROM trade_sides),
    ${openClose('bar_index')}
    SELECT 'bar' AS type, symbol, @label AS interval, MIN(ts) AS window_start, MAX(ts) + 1 AS window_end,
      ${OHLCV}, 1 AS final, bar_index, COUNT(*) = @size AS complete, ${SIDE_SUMS}
    FROM f GROUP BY symbol, bar_index`,
    )
    .all({ size, label })
    .map((r) => ({ ...(r as Row), final: true, complete: (r as Row).complete === 1 })) as Row[];
}

function barsBySql(label: string, interval: number): Row[] {
  return db
    .prepare(
      `
    WITH b AS (
      SELECT symbol, ts - ts % @interval AS window_start, ts, price, volume, arrival, side
      FROM trade_sides),
    ${openClose('window_start')}
    SELECT 'bar' AS type, symbol, @label AS interval, window_start, window_start + @interval AS window_end,
      ${OHLCV}, ${SIDE_SUMS}
    FROM f GROUP BY symbol, window_start`,
    )
    .all({ interval, label }) as Row[];
}

function indicatorsBySql(): Row[] {
  // Each trade lies in the ten 5-minute windows that start on a 30 s boundary
  // in (ts - 300000, ts].
  return db
    .prepare(
      `
    WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9),
    w AS (
      SELECT symbol, ts - ts % 30000 - j * 30000 AS window_start, price
      FROM ticks, k WHERE event_type = 'TRADE')
    SELECT 'indicator' AS type, symbol, window_start, window_start + 300000 AS window_end,
      AVG(price) AS ma, (MAX(price) - MIN(price)) / AVG(price) AS volatility, COUNT(*) AS trade_count, 0 AS revision
    FROM w GROUP BY symbol, window_start`,
    )
    .all() as Row[];
}

function tradeAlertsBySql(): Row[] {
  // Population variance from moments shifted by the symbol's mean price, so
  // the subtraction does not cancel; zero when min = max in the window.
  return db
    .prepare(
      `
    WITH t AS (
      SELECT tr.*, tr.price - c.center AS d FROM ticks tr
      JOIN (SELECT symbol, AVG(price) AS center FROM ticks WHERE event_type = 'TRADE' GROUP BY symbol) c USING (symbol)
      WHERE tr.event_type = 'TRADE'),
    s AS (
      SELECT symbol, ts, price, volume,
        AVG(price) OVER w AS mean, AVG(d) OVER w AS m1, AVG(d * d) OVER w AS m2,
        MIN(price) OVER w AS lo, MAX(price) OVER w AS hi, AVG(volume) OVER w AS mean_volume
      FROM t
      WINDOW w AS (PARTITION BY symbol ORDER BY ts RANGE BETWEEN 300000 PRECEDING AND CURRENT ROW)),
    z AS (
      SELECT symbol, ts, price, volume,
        CASE WHEN lo = hi THEN NULL ELSE ABS(price - mean) / SQRT(MAX(m2 - m1 * m1, 0)) END AS price_zscore,
        CASE WHEN mean_volume = 0 THEN NULL ELSE volume / mean_volume END AS volume_ratio
      FROM s)
    SELECT * FROM (
      SELECT 'alert' AS type, symbol,
        CASE WHEN price_zscore > 3.0 THEN 'PRICE_SPIKE'
             WHEN volume_ratio > 5.0 THEN 'VOLUME_SURGE'
             WHEN price_zscore > 2.0 AND volume_ratio > 3.0 THEN 'COMBINED_ANOMALY' END AS anomaly_type,
        ts AS timestamp, price, volume, price_zscore, volume_ratio, NULL AS spread_ratio, NULL AS volatility
      FROM z)
    WHERE anomaly_type IS NOT NULL`,
    )
    .all() as Row[];
}

function quoteAlertsBySql(): Row[] {
  return db
    .prepare(
      `
    WITH q AS (
      SELECT symbol, ts, ask - bid AS spread,
        AVG(ask - bid) OVER (PARTITION BY symbol ORDER BY ts RANGE BETWEEN 300000 PRECEDING AND CURRENT ROW) AS mean_spread
      FROM ticks WHERE event_type IN ('QUOTE', 'BBO'))
    SELECT 'alert' AS type, symbol, 'SPREAD_WIDENING' AS anomaly_type, ts AS timestamp, NULL AS price, NULL AS volume,
      NULL AS price_zscore, NULL AS volume_ratio, spread / mean_spread AS spread_ratio, NULL AS volatility
    FROM q WHERE mean_spread > 0 AND spread / mean_spread > 2.0`,
    )
    .all() as Row[];
}

const SEVERITY: Readonly<Record<string, string>> = {
  PRICE_SPIKE: 'CRITICAL',
  VOLUME_SURGE: 'WARNING',
  COMBINED_ANOMALY: 'HIGH',
  SPREAD_WIDENING: 'WARNING',
  HIGH_VOLATILITY: 'WARNING',
};

function expected(): { bars: Row[]; indicators: Row[]; alerts: Row[] } {
  const bars = [
    ...INTERVALS.flatMap(([label, ms]) => barsBySql(label, ms)).map((b) => ({ ...b, final: true })),
    ...tickBarsBySql(`${TICK_BAR}t`, TICK_BAR),
  ];
  const indicators = indicatorsBySql();
  const volatile = indicators
    .filter((i) => (i.volatility as number) > 0.02)
    .map((i) => ({
      type: 'alert',
      symbol: i.symbol,
      anomaly_type: 'HIGH_VOLATILITY',
      timestamp: i.window_end,
      price: null,
      volume: null,
      price_zscore: null,
      volume_ratio: null,
      spread_ratio: null,
      volatility: i.volatility,
    }));
  const alerts = [...tradeAlertsBySql(), ...quoteAlertsBySql(), ...volatile].map((a) => ({
    ...a,
    severity: SEVERITY[a.anomaly_type as string],
  }));
  return { bars, indicators, alerts };
}

describe('tickflow replay against SQL computed by SQLite', () => {
  let oracle: ReturnType<typeof expected>;
  before(() => {
    oracle = expected();
  });

  it('the oracle sees a stream with every kind of result', () => {
    const kinds = new Set(oracle.alerts.map((a) => a.anomaly_type));
    for (const kind of ['PRICE_SPIKE', 'VOLUME_SURGE', 'SPREAD_WIDENING', 'HIGH_VOLATILITY']) assert.ok(kinds.has(kind), `no ${kind}`);
    assert.ok(oracle.bars.length > 10_000);
    assert.ok(oracle.bars.some((b) => b.interval === `${TICK_BAR}t` && b.complete === true));
    const sides = db.prepare('SELECT side, COUNT(*) AS n FROM trade_sides GROUP BY side').all() as Array<{ side: number; n: number }>;
    assert.deepEqual(
      sides.filter((s) => s.side !== 0).map((s) => s.side),
      [-1, 1],
      'buys and sells',
    );
    assert.ok(oracle.indicators.length > 500);
  });

  for (const partitions of ['1', '3']) {
    it(`matches bars, indicators and alerts to 1e-9 relative with ${partitions} partition(s)`, () => {
      const result = tickflow(['replay', feed, '--partitions', partitions, '--intervals', `1s,1m,5m,${TICK_BAR}t`]);
      assert.equal(result.status, 0, result.stderr);
      const out = records(result.stdout);
      const stats = out.pop();
      assert.deepEqual([stats?.rejected, stats?.duplicate, stats?.late], [0, 0, 0], 'the oracle stream must be clean and in order');
      const of = (type: string): Row[] => out.filter((r) => r.type === type);
      assert.deepEqual(
        diffRecords(
          of('bar'),
          oracle.bars,
          (r) => `${r.symbol as string}|${r.interval as string}|${(r.bar_index ?? r.window_start) as number}`,
          RELATIVE,
        ),
        [],
      );
      assert.deepEqual(
        diffRecords(of('indicator'), oracle.indicators, (r) => `${r.symbol as string}|${r.window_start as number}`, RELATIVE),
        [],
      );
      assert.deepEqual(
        diffRecords(
          of('alert'),
          oracle.alerts,
          (r) => `${r.symbol as string}|${r.anomaly_type as string}|${r.timestamp as number}`,
          RELATIVE,
        ),
        [],
      );
    });
  }
});
