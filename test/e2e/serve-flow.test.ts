// Publisher flow control on /ingest (docs/protocol.md, Publishers), against
// a real server: one publisher floods a single symbol while another publishes
// elsewhere and a subscriber reads. The flooder is told slow_down and
// go_ahead; while it is held, the other publisher's ticks reach the
// subscriber and /health answers; nothing accepted is lost. A flooder that
// ignores slow_down is closed with 4009 past --ingest-queue-kib, and every
// frame read before that is still delivered.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { partitionOf } from '../../src/partition/partition-of';
import { T0 } from '../fixtures/publisher';
import { metric, startServer, type RunningServer } from '../fixtures/server-process';
import { TestClient } from '../fixtures/ws-client';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-serve-flow-'));
const servers: RunningServer[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Ticks per flood frame: about 850 KB of NDJSON, under the 1 MiB frame limit. */
const PER_FRAME = 10_000;

function floodFrame(frame: number): string {
  const lines: string[] = [];
  for (let k = 0; k < PER_FRAME; k++) {
    lines.push(`{"symbol":"FLOOD","event_type":"TRADE","timestamp":${T0 + frame * PER_FRAME + k},"price":${10 + (k % 7)},"volume":1}`);
  }
  return lines.join('\n');
}

/** A symbol of another partition than FLOOD's (with several; inline, all are one). */
function elsewhere(partitions: number): string {
  if (partitions < 2) return 'CALM';
  for (let i = 0; ; i++) if (partitionOf(`CALM${i}`, partitions) !== partitionOf('FLOOD', partitions)) return `CALM${i}`;
}

async function start(db: string, args: readonly string[]): Promise<RunningServer> {
  const server = await startServer(['--source', 'none', '--idle-close-ms', '0', '--db', join(dir, db), ...args]);
  servers.push(server);
  return server;
}

/** When each control op reached a client (ms, performance.now()). */
function noticesOf(client: TestClient, seen: Array<[string, number]>): void {
  client.socket.on('message', (data: Buffer, binary: boolean) => {
    if (binary) return;
    const op = (JSON.parse(data.toString('utf8')) as { op?: string }).op;
    if (op !== undefined) seen.push([op, performance.now()]);
  });
}

describe('publisher flow control', () => {
  for (const partitions of [0, 2]) {
    it(`holds a flooding publisher, not the others: their ticks and /health go on, nothing is lost (--partitions ${partitions})`, async () => {
      const server = await start(`flood-${partitions}.db`, [
        '--partitions',
        String(partitions),
        '--ingest-queue-kib',
        '2048',
        ...(partitions > 0 ? ['--ring-kib', '64'] : []),
      ]);
      const calm = elsewhere(partitions);
      const subscriber = await TestClient.connect(`${server.ws}/ws`);
      const arrivals: Array<[string, number]> = [];
      subscriber.socket.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        if (text.startsWith(`{"ch":"trades.${calm}"`)) arrivals.push([calm, performance.now()]);
      });
      subscriber.send({ op: 'subscribe', channels: ['trades.FLOOD', `trades.${calm}`] });
      await subscriber.reply('subscribed');

      const flooder = await TestClient.connect(`${server.ws}/ingest`);
      const notices: Array<[string, number]> = [];
      noticesOf(flooder, notices);
      const other = await TestClient.connect(`${server.ws}/ingest`);
      const frames = 20;
      let flooding = true;

      // The flooder honours slow_down (it waits for go_ahead) and keeps at
      // most two frames unanswered (under --ingest-queue-kib): a ping is
      // answered once every tick before it was taken.
      const flood = (async () => {
        for (let f = 0; f < frames; f++) {
          if (notices.filter(([op]) => op === 'slow_down').length > notices.filter(([op]) => op === 'go_ahead').length) {
            await flooder.until(
              () => notices.filter(([op]) => op === 'go_ahead').length === notices.filter(([op]) => op === 'slow_down').length,
              'go_ahead',
              60_000,
            );
          }
          flooder.send(floodFrame(f));
          flooder.send({ op: 'ping', id: f });
          if (f > 0) await flooder.until(() => flooder.json().some((m) => m.op === 'pong' && m.id === f - 1), 'a pong', 60_000);
          await new Promise((resolve) => setImmediate(resolve));
        }
        flooder.send({ op: 'ping', id: 'last' });
        await flooder.until(() => flooder.json().some((m) => m.op === 'pong' && m.id === 'last'), 'the last pong', 60_000);
        flooding = false;
      })();

      // Meanwhile: the other publisher's ticks and /health, each answered in turn.
      const healthAt: number[] = [];
      let sent = 0;
      while (flooding) {
        const response = await fetch(`${server.http}/health`);
        assert.equal(response.status, 200);
        await response.text();
        healthAt.push(performance.now());
        other.send(`{"symbol":"${calm}","event_type":"TRADE","timestamp":${T0 + sent},"price":5,"volume":1}`);
        sent++;
        await subscriber.until(() => arrivals.length === sent, `${calm} trade ${sent}`, 30_000);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await flood;

      // The flood outran the engine: it was held, and released every time.
      const slowDowns = notices.filter(([op]) => op === 'slow_down').map(([, at]) => at);
      const goAheads = notices.filter(([op]) => op === 'go_ahead').map(([, at]) => at);
      assert.ok(slowDowns.length > 0, 'the flooder was never told slow_down: the test did not flood');
      assert.equal(goAheads.length, slowDowns.length);
      const held = (at: number): boolean => slowDowns.some((from, i) => at > from && at < (goAheads[i] as number));
      assert.ok(
        arrivals.some(([, at]) => held(at)),
        "the other publisher's ticks reached the subscriber while the flooder was held",
      );
      assert.ok(healthAt.some(held), '/health answered while the flooder was held');

      // Nothing accepted is lost, and nothing comes twice.
      const total = frames * PER_FRAME;
      await subscriber.until(() => subscriber.data('trades.FLOOD').length === total, `all ${total} flood trades`, 60_000);
      const seqs = subscriber.data('trades.FLOOD').map((f) => f.seq);
      assert.deepEqual([seqs[0], seqs.at(-1), new Set(seqs).size], [1, total, total]);
      assert.equal(arrivals.length, sent);
      assert.equal(await metric(server, 'tickflow_publisher_queue_closes_total'), 0);
      assert.equal(await metric(server, 'tickflow_publishers_held'), 0);
      await Promise.all([subscriber.close(), flooder.close(), other.close()]);
    });
  }

  it('closes a publisher that ignores slow_down with 4009 past --ingest-queue-kib, and delivers every frame it read before', async () => {
    const server = await start('bound.db', ['--partitions', '0', '--ingest-queue-kib', '2048']);
    const subscriber = await TestClient.connect(`${server.ws}/ws`);
    subscriber.send({ op: 'subscribe', channels: ['trades.FLOOD'] });
    await subscriber.reply('subscribed');
    const flooder = await TestClient.connect(`${server.ws}/ingest`);
    const frames = 12;
    for (let f = 0; f < frames; f++) flooder.send(floodFrame(f));
    await flooder.until(() => flooder.closeCode !== null, 'the close');
    assert.equal(flooder.closeCode, 4009);
    assert.match(flooder.closeReason, /over --ingest-queue-kib \(2048\) of unread frames; this frame was not read/);
    assert.ok(
      flooder.json().some((m) => m.op === 'slow_down'),
      'told slow_down first',
    );

    // Whole frames were read or refused: what was read is delivered, in order, up to the refused frame.
    let delivered = 0;
    for (let i = 0; i < 100; i++) {
      delivered = subscriber.data('trades.FLOOD').length;
      if (delivered > 0 && delivered === (await metric(server, 'tickflow_ticks_accepted_total'))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(delivered >= PER_FRAME && delivered < frames * PER_FRAME, `${delivered} trades delivered`);
    assert.equal(delivered % PER_FRAME, 0, 'whole frames');
    const seqs = subscriber.data('trades.FLOOD').map((f) => f.seq);
    assert.deepEqual([seqs[0], seqs.at(-1), new Set(seqs).size], [1, delivered, delivered]);
    assert.equal(await metric(server, 'tickflow_publisher_queue_closes_total'), 1);
    await subscriber.close();
  });
});
