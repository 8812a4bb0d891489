// The default source of `serve`: the `tickflow gen` feed, paced in wall-clock
// time and stamped with it, so a bare `npm start` shows live bars and alerts.

import { Feed } from '../synthetic/feed';
import { GenTick } from '../synthetic/gen-tick';
import { ValidTick } from '../ingest/tick-validator';
import type { SourceContext, TickSource } from './tick-source';

export interface SyntheticOptions {
  readonly symbols: number;
  readonly rate: number;
  readonly anomalyRate: number;
  readonly seed: number;
}

/** Pacing period: ticks due in each period are sent together. */
const PERIOD_MS = 5;

export function toValidTick(g: GenTick, out: ValidTick): ValidTick {
  out.symbol = g.symbol;
  out.eventType = g.eventType;
  out.timestamp = g.timestamp;
  out.price = g.price;
  out.volume = Number.isNaN(g.volume) ? 0 : g.volume;
  out.bid = g.bid;
  out.ask = g.ask;
  out.exchange = g.exchange;
  out.seq = g.seq;
  return out;
}

export class SyntheticSource implements TickSource {
  readonly description: string;
  readonly finalOnDrain = true;
  private timer: NodeJS.Timeout | null = null;
  private feed: Feed | null = null;
  private began = 0;
  private sent = 0;
  private readonly tick = new ValidTick();

  constructor(
    private readonly context: SourceContext,
    private readonly options: SyntheticOptions,
  ) {
    this.description = `synthetic (${options.symbols} symbols, ${options.rate} ticks/s)`;
  }

  start(): void {
    this.began = Date.now();
    this.feed = new Feed({
      seed: this.options.seed,
      symbols: this.options.symbols,
      rate: this.options.rate,
      total: Number.MAX_SAFE_INTEGER,
      start: this.began,
      tradeRatio: 0.5,
      anomalyRate: this.options.anomalyRate,
      duplicateRate: 0,
      lateRate: 0,
      invalidRate: 0,
      flaws: [],
    });
    this.timer = setInterval(() => this.pump(), PERIOD_MS);
  }

  private pump(): void {
    const feed = this.feed;
    if (feed === null) return;
    const due = Math.floor(((Date.now() - this.began) * this.options.rate) / 1000);
    if (due <= this.sent) return;
    const pipeline = this.context.pipeline;
    for (; this.sent < due; this.sent++) pipeline.ingest(toValidTick(feed.next(), this.tick), 0);
    pipeline.publish();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.feed = null;
  }
}
