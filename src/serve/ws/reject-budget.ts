// How many dead letters one /ingest publisher may have stored and answered
// one by one each second (--ingest-reject-limit). A publisher sending junk as
// fast as it can would otherwise write a store row and an error frame per
// tick. Past the budget a rejection is still counted (tickflow_dead_letters_total
// and tickflow_dead_letters_unstored_total), and is tallied here by reason;
// when its second ends the publisher gets one summary, stored once and sent
// once, so nothing vanishes silently.

export interface RejectSummary {
  /** Dead letters counted in the second but neither stored nor answered one by one. */
  readonly unstored: number;
  /** The same, by reason, the most frequent first. */
  readonly reasons: ReadonlyArray<readonly [string, number]>;
  readonly limit: number;
}

const SECOND_MS = 1000;

export class RejectBudget {
  private windowStart = -Infinity;
  private used = 0;
  private readonly unstored = new Map<string, number>();

  /** `limit` dead letters a second; 0: no limit. */
  constructor(private readonly limit: number) {}

  /** True when this dead letter may be stored and answered; false tallies it. */
  admit(reason: string, now: number): boolean {
    if (this.limit === 0) return true;
    if (now - this.windowStart >= SECOND_MS) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.unstored.set(reason, (this.unstored.get(reason) ?? 0) + 1);
    return false;
  }

  /** Milliseconds until the current second ends (when its summary is due). */
  remaining(now: number): number {
    return Math.max(0, this.windowStart + SECOND_MS - now);
  }

  /** What was tallied since the last summary, and a fresh tally; null when nothing was. */
  take(): RejectSummary | null {
    if (this.unstored.size === 0) return null;
    const reasons = [...this.unstored].sort((a, b) => b[1] - a[1]);
    this.unstored.clear();
    return { unstored: reasons.reduce((sum, [, n]) => sum + n, 0), reasons, limit: this.limit };
  }
}

/** The one line a summary says, for its dead letter and its error frame. */
export function summaryMessage(summary: RejectSummary): string {
  const by = summary.reasons.map(([reason, n]) => `${reason} ${n}`).join(', ');
  return (
    `${summary.unstored} more ticks of this publisher were dead-lettered within one second (${by}): ` +
    `counted, but not stored or answered one by one (over --ingest-reject-limit ${summary.limit} a second)`
  );
}
