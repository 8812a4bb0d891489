// The resume log keeps the newest frames, oldest dropped first, within its
// frame count and its byte arena, and gives each channel's frames back
// exactly as they were appended.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BYTES_PER_FRAME, ReplayLog, type LoggedChannel } from '../../src/serve/hub/replay-log';
import { seededRandom } from '../fixtures/seeded-random';

interface Appended {
  readonly channel: LoggedChannel;
  readonly seq: number;
  readonly frame: string;
}

/** Appends `frame` from the middle of a larger buffer, as the hub does from its frame buffer. */
function append(log: ReplayLog, channel: LoggedChannel, seq: number, frame: string): void {
  const bytes = Buffer.from(`[[${frame}]]`, 'utf8');
  log.append(channel, seq, bytes, 2, bytes.length - 2);
}

describe('resume log', () => {
  it('returns, for every channel, a gap-free run of the newest frames, whatever their sizes', () => {
    const random = seededRandom(11);
    for (const capacity of [1, 3, 64, 1000]) {
      const log = new ReplayLog(capacity);
      const channels: LoggedChannel[] = Array.from({ length: 5 }, (_, i) => ({ name: `trades.S${i}`, seq: 0 }));
      const appended: Appended[] = [];
      for (let n = 0; n < 20_000; n++) {
        const channel = channels[Math.floor(random() * channels.length)] as LoggedChannel;
        channel.seq++;
        // Mostly ordinary frames, some far over the per-frame average, some not ASCII.
        const size = random() < 0.05 ? 2000 + Math.floor(random() * 4000) : 20 + Math.floor(random() * 300);
        const body = (random() < 0.1 ? 'é€' : 'x').repeat(size);
        const frame = `{"ch":"${channel.name}","seq":${channel.seq},"data":"${body}"}`;
        append(log, channel, channel.seq, frame);
        appended.push({ channel, seq: channel.seq, frame });
        if (n % 97 !== 0) continue;
        // What the log holds must be the newest frames: for each channel a
        // suffix of what was appended to it, never more than `capacity` in all.
        let held = 0;
        for (const ch of channels) {
          const all = appended.filter((a) => a.channel === ch);
          const afterSeq = Math.floor(random() * (ch.seq + 1));
          const got = log.after(ch, afterSeq);
          const wanted = all.filter((a) => a.seq > afterSeq).map((a) => a.frame);
          assert.deepEqual(got.frames, wanted.slice(wanted.length - got.frames.length), `${ch.name} after ${afterSeq}`);
          assert.equal(got.complete, got.frames.length === wanted.length);
          assert.equal(got.lastSeq, got.frames.length > 0 ? afterSeq + wanted.length : afterSeq);
          held += log.after(ch, 0).frames.length;
        }
        assert.ok(held <= capacity, `${held} frames held with capacity ${capacity}`);
      }
    }
  });

  it('keeps its full count of ordinary frames, dropping the oldest first', () => {
    const log = new ReplayLog(1000);
    const channel: LoggedChannel = { name: 'bars.1m.A', seq: 0 };
    for (let seq = 1; seq <= 5000; seq++) {
      channel.seq = seq;
      append(log, channel, seq, `{"seq":${seq},"data":"${'b'.repeat(BYTES_PER_FRAME - 40)}"}`);
    }
    const got = log.after(channel, 0);
    assert.equal(got.frames.length, 1000);
    assert.equal(got.complete, false);
    assert.match(got.frames[0] as string, /^\{"seq":4001,/);
    assert.deepEqual(log.after(channel, 4000), { frames: got.frames, complete: true, lastSeq: 5000, firstSeq: 4001 });
  });

  it('keeps nothing with a capacity of 0, and says so', () => {
    const log = new ReplayLog(0);
    const channel: LoggedChannel = { name: 'alerts.A', seq: 1 };
    append(log, channel, 1, '{"seq":1}');
    assert.deepEqual(log.after(channel, 0), { frames: [], complete: false, lastSeq: 0, firstSeq: 0 });
    assert.deepEqual(log.after(channel, 1), { frames: [], complete: true, lastSeq: 1, firstSeq: 0 });
  });
});
