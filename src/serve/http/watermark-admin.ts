// The operator's way out when a symbol's event time ran ahead of the clock
// (a feed whose clock jumped, a generous --max-future-ms, a checkpoint taken
// before either was noticed): `POST /api/watermarks/reset?symbol=S`, admin
// role. The symbol's partition discards what it holds stamped after the
// server's clock and brings its watermark back (PartitionEngine
// .resetWatermark says exactly how far). Every reset is logged with the
// token that asked and counted, whether or not it changed anything.

import type { Logger } from '../../log';
import type { Engine } from '../../partition/engine';

/** The answer of a reset, as the HTTP reply carries it. */
export interface WatermarkResetReply {
  readonly symbol: string;
  /** False when the watermark was not ahead of clock - lateness: nothing was touched. */
  readonly changed: boolean;
  readonly watermark_before: number;
  readonly watermark: number;
  readonly discarded: { readonly bars: number; readonly indicator_panes: number; readonly trades: number; readonly quotes: number };
}

export class WatermarkAdmin {
  /** Resets asked for (of known symbols), and those that moved a watermark. */
  requested = 0;
  changed = 0;

  constructor(
    private readonly pipeline: Engine,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Null when no tick of the symbol has been seen. */
  async reset(symbol: string, by: string): Promise<WatermarkResetReply | null> {
    const clock = this.clock();
    const result = await this.pipeline.requests.resetWatermark(symbol, clock);
    if (result === null) return null;
    this.requested++;
    const changed = result.watermarkAfter !== result.watermarkBefore;
    if (changed) this.changed++;
    const reply: WatermarkResetReply = {
      symbol,
      changed,
      // -Infinity (no tick yet) is not JSON.
      watermark_before: finite(result.watermarkBefore),
      watermark: finite(result.watermarkAfter),
      discarded: {
        bars: result.barsDiscarded,
        indicator_panes: result.panesDiscarded,
        trades: result.tradesDiscarded,
        quotes: result.quotesDiscarded,
      },
    };
    this.log.warn(changed ? 'watermark reset' : 'watermark reset asked for, but it was not ahead of the clock', {
      token: by,
      clock,
      ...reply,
    });
    return reply;
  }
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}
