// How each channel of a subscribe starts (SPEC §3), before it goes live:
//
//   resume {epoch, seq}  every message after the client's seq, from the store
//                        (bars, indicators, alerts) and the in-memory log;
//                        recovered only when every seq is accounted for and
//                        the epoch is the channel's
//   history N            the channel's last N records (stored records, then
//                        what the log holds after them; trades and quotes:
//                        the log's last N), race-free against live data
//   neither              the channel's last message (the snapshot); for a
//                        resume that cannot be recovered too, from the
//                        store when this run has not published on it yet
//
// The store is asked first, off the event loop; then, in one turn, the
// frames are sent up to each channel's current seq and the session
// subscribes, so live data continues at the next seq: no gap, no duplicate.

import type { HistoryOutcome, ResumeOutcome } from '../../records/protocol';
import { STORED_KINDS, type ChannelHub, type ChannelState } from '../hub/channel-hub';

/** Stored history of a channel: what the store answers for resume and history. */
export interface ChannelHistory {
  queryChannel(channel: string, afterSeq: number, limit: number): Promise<Array<{ seq: number; record: object }>>;
  queryChannelTail(channel: string, limit: number): Promise<Array<{ seq: number; record: object }>>;
  /** The highest seq of the channel that retention removed. */
  sweptSeq(channel: string): Promise<number>;
}

/** Rows one store query may return, and the most `history` may ask for. */
export const HISTORY_LIMIT = 10_000;

/** A resume point: the client's last seq, and the epoch it lives in (null: the client gave none). */
export interface ResumePoint {
  readonly epoch: string | null;
  readonly seq: number;
}

type StoredRows = Array<{ seq: number; record: object }>;

interface Start {
  readonly state: ChannelState;
  readonly mode: 'resume' | 'history' | 'snapshot';
  /** resume: the client's last seq; history: how many records. */
  readonly n: number;
  rows?: StoredRows;
  /** resume: the highest seq retention removed from the store. */
  swept?: number;
}

/**
 * The `resume` field as points per channel: `{"epoch": "...", "seq": N}`, or
 * a bare seq (no epoch: answered as not recovered); null when malformed.
 */
export function resumePoints(value: unknown): Map<string, ResumePoint> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const points = new Map<string, ResumePoint>();
  for (const [channel, point] of Object.entries(value)) {
    const seq = typeof point === 'number' ? point : (point as { seq?: unknown } | null)?.seq;
    const epoch = typeof point === 'number' ? null : (point as { epoch?: unknown } | null)?.epoch;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) return null;
    if (epoch !== null && typeof epoch !== 'string') return null;
    points.set(channel, { epoch, seq });
  }
  return points;
}

export class CatchUp {
  private readonly starts: Start[] = [];
  readonly resumed: Record<string, ResumeOutcome> = {};
  readonly history: Record<string, HistoryOutcome> = {};

  constructor(
    private readonly hub: ChannelHub,
    private readonly store: ChannelHistory | null,
  ) {}

  /** A resume the caller already refused (not entitled, not subscribed, not a channel): said in the reply. */
  refuse(channel: string, point: ResumePoint, reason: string): void {
    this.resumed[channel] = { recovered: false, from: point.seq, to: point.seq, reason };
  }

  /** A channel to resume from the client's point. */
  resume(channel: string, point: ResumePoint): void {
    const state = this.hub.find(channel);
    if (point.epoch === null) {
      this.resumed[channel] = {
        recovered: false,
        from: point.seq,
        to: state?.seq ?? 0,
        reason: 'no epoch given: resume takes {"epoch","seq"}, the epoch from a subscribe reply (its "epochs")',
      };
      if (state !== undefined) this.starts.push({ state, mode: 'snapshot', n: 1 });
      return;
    }
    if (state === undefined) {
      // Nothing was ever published on it in this run: nothing was missed if the client saw nothing either.
      const epoch = this.hub.epochOf(channelKind(channel));
      const same = point.epoch === epoch;
      this.resumed[channel] = {
        recovered: same && point.seq === 0,
        from: point.seq,
        to: 0,
        ...(!same ? { reason: anotherEpoch(channelKind(channel), epoch) } : point.seq > 0 ? { reason: "a seq beyond the channel's" } : {}),
      };
      return;
    }
    if (point.epoch !== state.epoch) {
      this.resumed[channel] = {
        recovered: false,
        from: point.seq,
        to: state.seq,
        reason: anotherEpoch(state.kind, state.epoch),
      };
      this.starts.push({ state, mode: 'snapshot', n: 1 });
      return;
    }
    this.starts.push({ state, mode: 'resume', n: point.seq });
  }

  /** A channel to start with its last `count` records. */
  withHistory(state: ChannelState, count: number): void {
    if (!this.starts.some((s) => s.state === state)) this.starts.push({ state, mode: 'history', n: count });
  }

  /** Whether a channel already starts some way (the others get their snapshot). */
  has(state: ChannelState): boolean {
    return this.starts.some((s) => s.state === state);
  }

  /**
   * Asks the store what the log cannot give; null when nothing needs asking
   * (the subscribe then completes in this turn). A failure leaves it to the
   * log, and the reply says what was missed.
   */
  fetch(): Promise<void> | null {
    const store = this.store;
    if (store === null) return null;
    const queries: Array<Promise<void>> = [];
    for (const start of this.starts) {
      const { state, mode, n } = start;
      if (!STORED_KINDS.has(state.kind)) continue;
      if (mode === 'resume' && n < state.seq && !this.hub.recent(state, n).complete) {
        queries.push(
          Promise.all([store.queryChannel(state.name, n, HISTORY_LIMIT), store.sweptSeq(state.name)]).then(
            ([rows, swept]) => {
              start.rows = rows;
              start.swept = swept;
            },
            () => undefined,
          ),
        );
      } else if (mode === 'history' || (mode === 'snapshot' && state.last === null)) {
        queries.push(
          store.queryChannelTail(state.name, n).then(
            (rows) => {
              start.rows = rows;
            },
            () => undefined,
          ),
        );
      }
    }
    return queries.length === 0 ? null : Promise.all(queries).then(() => undefined);
  }

  /** Sends every started channel's frames up to its current seq (one turn, with the subscription). */
  send(send: (frame: string) => void): void {
    for (const start of this.starts) {
      if (start.mode === 'resume') this.sendResume(start, send);
      else if (start.mode === 'history') this.sendHistory(start, send);
      else if (start.state.last !== null) send(start.state.last);
      else for (const row of start.rows ?? []) send(storedFrame(start.state, row));
    }
  }

  private sendResume({ state, n: lastSeq, rows, swept }: Start, send: (frame: string) => void): void {
    let after = lastSeq;
    // Every seq after the client's must be accounted for: the stored rows
    // (every alert and indicator is stored, so their seqs follow each
    // other; a bar channel stores only final bars, whose forming updates in
    // between are superseded, so for bars it is retention's mark that says
    // none is missing), then the log from the last stored seq on.
    let continuous = (swept ?? 0) <= lastSeq;
    for (const row of rows ?? []) {
      if (state.kind !== 'bars' && row.seq !== after + 1) continuous = false;
      send(storedFrame(state, row));
      after = row.seq;
    }
    const recent = this.hub.recent(state, after);
    const recovered = lastSeq <= state.seq && continuous && recent.complete;
    for (const frame of recent.frames) send(frame);
    if (!recovered && recent.frames.length === 0 && state.last !== null) send(state.last);
    this.resumed[state.name] = {
      recovered,
      from: lastSeq,
      to: state.seq,
      ...(recovered ? {} : { reason: lastSeq > state.seq ? "a seq beyond the channel's" : 'some missed messages are no longer held' }),
    };
  }

  private sendHistory({ state, n: count, rows }: Start, send: (frame: string) => void): void {
    let sent = 0;
    let first = 0;
    let after = Math.max(0, state.seq - count);
    let continuous = true;
    if (rows !== undefined && rows.length > 0) {
      after = (rows[0] as { seq: number }).seq - 1;
      for (const row of rows) {
        if (state.kind !== 'bars' && row.seq !== after + 1) continuous = false;
        send(storedFrame(state, row));
        if (first === 0) first = row.seq;
        after = row.seq;
        sent++;
      }
    }
    const recent = this.hub.recent(state, after);
    for (const frame of recent.frames) send(frame);
    if (first === 0 && recent.frames.length > 0) first = recent.firstSeq;
    sent += recent.frames.length;
    this.history[state.name] = { records: sent, from: first, to: state.seq, complete: continuous && recent.complete };
  }
}

function anotherEpoch(kind: ChannelState['kind'], epoch: string): string {
  const why = STORED_KINDS.has(kind) ? 'the store was replaced, or the last run did not close cleanly' : 'the server restarted';
  return `another epoch: the channel's seqs now live in ${epoch} (${why})`;
}

/** The kind of a channel name (its first word). */
function channelKind(name: string): ChannelState['kind'] {
  return name.slice(0, name.indexOf('.')) as ChannelState['kind'];
}

function storedFrame(state: ChannelState, row: { seq: number; record: object }): string {
  return `{"ch":"${state.name}","seq":${row.seq},"data":${JSON.stringify(row.record)}}`;
}
