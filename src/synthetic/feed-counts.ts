// What a feed injected, so a replay's stats line can be checked against it:
// accepted = normal + anomalies, duplicate, late, and rejected = invalid.

import { Flaw, FLAW_NAMES, TEXT_FLAWS } from './flaw';

export class FeedCounts {
  /** Every record written. */
  records = 0;
  /** In-order ticks that are not anomalies. */
  normal = 0;
  priceSpikes = 0;
  volumeSurges = 0;
  spreadBlowouts = 0;
  duplicates = 0;
  late = 0;
  invalid = 0;
  /** Invalid records by flaw name (FLAW_NAMES). */
  readonly flaws: Record<string, number> = Object.fromEntries(TEXT_FLAWS.map((flaw) => [FLAW_NAMES[flaw], 0]));

  /** Ticks the engine should accept: the in-order ones, anomalies included. */
  get accepted(): number {
    return this.normal + this.priceSpikes + this.volumeSurges + this.spreadBlowouts;
  }

  addInvalid(flaw: Flaw): void {
    this.invalid++;
    const name = FLAW_NAMES[flaw];
    this.flaws[name] = (this.flaws[name] ?? 0) + 1;
  }

  /** One line for stderr. */
  summary(): string {
    const flaws = Object.entries(this.flaws)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`);
    return (
      `${this.records} records: ${this.accepted} in order (price spikes ${this.priceSpikes}, volume surges ${this.volumeSurges}, ` +
      `spread blow-outs ${this.spreadBlowouts}), duplicate ${this.duplicates}, late ${this.late}, invalid ${this.invalid}` +
      (flaws.length > 0 ? ` (${flaws.join(', ')})` : '')
    );
  }
}
