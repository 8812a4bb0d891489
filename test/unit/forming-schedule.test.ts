// The forming-bar schedule sends what a scan of every changed bar on each
// call would send, at the same calls: checked against that scan on seeded
// random sequences of changes, final emissions, new windows and calls,
// including gaps between calls longer than a turn of the wheel.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormingSchedule } from '../../src/analytics/forming-schedule';
import type { SymbolState } from '../../src/analytics/symbol-state';
import { BarWindow } from '../../src/analytics/bar-window';
import { seededRandom } from '../fixtures/seeded-random';

/** The schedule's contract, the plain way: every call looks at every changed bar. */
class ScanAll {
  private waiting: BarWindow[] = [];
  constructor(private readonly periodMs: number) {}

  mark(bar: BarWindow): void {
    if (bar.dirty) return;
    bar.dirty = true;
    this.waiting.push(bar);
  }

  due(now: number, send: (bar: BarWindow) => void): void {
    const kept: BarWindow[] = [];
    for (const bar of this.waiting) {
      if (!bar.dirty) continue;
      if (now - bar.lastSentAt < this.periodMs) kept.push(bar);
      else {
        bar.dirty = false;
        bar.lastSentAt = now;
        send(bar);
      }
    }
    this.waiting = kept;
  }
}

const STATE = {} as SymbolState;

function run(seed: number, periodMs: number): { sent: number; calls: number } {
  const random = seededRandom(seed);
  const count = 40;
  // The same bars twice over: one set driven through the schedule, the other through the scan.
  const ours = Array.from({ length: count }, () => new BarWindow());
  const theirs = Array.from({ length: count }, () => new BarWindow());
  const schedule = new FormingSchedule(periodMs);
  const scan = new ScanAll(periodMs);
  let now = 1_700_000_000_000 + Math.floor(random() * 1000);
  let sent = 0;
  let calls = 0;
  for (let step = 0; step < 4000; step++) {
    const i = Math.floor(random() * count);
    const roll = random();
    if (roll < 0.6) {
      schedule.mark(STATE, 'x', ours[i] as BarWindow);
      scan.mark(theirs[i] as BarWindow);
    } else if (roll < 0.65) {
      // Emitted final, as the engine does: no forming update is owed any more.
      (ours[i] as BarWindow).dirty = false;
      (theirs[i] as BarWindow).dirty = false;
    } else if (roll < 0.68) {
      // Reused for a new window.
      (ours[i] as BarWindow).reset(0, 1, 0, 1, 1);
      (theirs[i] as BarWindow).reset(0, 1, 0, 1, 1);
    } else {
      const gap = random() < 0.02 ? Math.floor(random() * 5 * (periodMs + 10)) : Math.floor(random() * 4);
      now += gap;
      const got: number[] = [];
      const want: number[] = [];
      schedule.due(now, (_state, label, bar) => {
        assert.equal(label, 'x');
        got.push(ours.indexOf(bar));
      });
      scan.due(now, (bar) => want.push(theirs.indexOf(bar)));
      assert.deepEqual(
        got.sort((a, b) => a - b),
        want.sort((a, b) => a - b),
        `seed ${seed}, period ${periodMs}, at ${now}`,
      );
      sent += got.length;
      calls++;
    }
  }
  return { sent, calls };
}

describe('FormingSchedule', () => {
  for (const periodMs of [0, 1, 7, 100, 250]) {
    it(`sends what a scan of every changed bar sends, at the same calls (period ${periodMs} ms)`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const { sent, calls } = run(seed * 31 + periodMs, periodMs);
        assert.ok(sent > 100 && calls > 1000, `the sequence sends (${sent} in ${calls} calls)`);
      }
    });
  }

  it('sends a window reused by another symbol under that symbol only', () => {
    // Windows go back to a pool shared by every symbol of the thread: one
    // filed for symbol A may be A's no more when its update falls due.
    const schedule = new FormingSchedule(100);
    const [a, b] = [{ name: 'A' }, { name: 'B' }] as SymbolState[];
    const bar = new BarWindow();
    bar.lastSentAt = 1000;
    schedule.due(1000, () => assert.fail('nothing is filed yet'));
    schedule.mark(a as SymbolState, '1s', bar);
    // Emitted final for A, given back, taken by B for a new window, changed.
    bar.dirty = false;
    bar.reset(0, 60_000, 1, 2, 3);
    bar.lastSentAt = 1000;
    schedule.mark(b as SymbolState, '1m', bar);
    const sent: string[] = [];
    schedule.due(1200, (state, label) => sent.push(`${state.name} ${label}`));
    assert.deepEqual(sent, ['B 1m']);
  });

  it('holds a bar back until its period has passed since its last update', () => {
    const schedule = new FormingSchedule(100);
    const bar = new BarWindow();
    const sent: number[] = [];
    const call = (now: number): void => schedule.due(now, () => sent.push(now));
    schedule.mark(STATE, '1s', bar);
    call(1000);
    schedule.mark(STATE, '1s', bar);
    call(1050);
    call(1099);
    call(1100);
    schedule.mark(STATE, '1s', bar);
    call(1500);
    assert.deepEqual(sent, [1000, 1100, 1500]);
  });
});
