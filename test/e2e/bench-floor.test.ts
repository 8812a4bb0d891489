// The live benchmark reads tickflow's latency against a transport floor
// (bench/floor/relay.ts) under one light load generator (bench/load/
// probe.ts). The floor is only a floor if it relays each line as its own
// message and nothing more, and the probe's figures only mean something if
// it accounts for every tick it sent: both are pinned down here, on real
// processes. No timing is asserted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initHdr } from '../../bench/hdr';
import { startEngine, type EngineProcess } from '../../bench/load/engine-process';
import { runProbe } from '../../bench/load/probe-session';
import { seqOf } from '../../bench/load/ticks';
import { TestClient } from '../fixtures/ws-client';

let floor: EngineProcess | undefined;
const clients: TestClient[] = [];

before(async () => {
  await initHdr();
  // Through the bench's own start-up path: port 0, the port read from the relay's {"listening":PORT} line.
  floor = await startEngine('floor');
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await floor?.stop();
});

async function connect(path: string): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${floor?.port ?? 0}${path}`);
  clients.push(client);
  return client;
}

describe('floor relay', () => {
  it('answers a subscribe, then relays each line of a multi-line /ingest frame as a message of its own, verbatim', async () => {
    const subscriber = await connect('/ws');
    subscriber.send({ op: 'subscribe', channels: ['trades.AAPL'] });
    assert.deepEqual(await subscriber.reply('subscribed'), { op: 'subscribed' });

    const lines = [
      '{"symbol":"AAPL","event_type":"TRADE","timestamp":1704205800000,"price":101.5,"volume":200,"seq":1}',
      '{"symbol":"MSFT","event_type":"QUOTE","timestamp":1704205800001,"bid":99.9,"ask":100.1,"seq":2}',
      '{"symbol":"AAPL","event_type":"TRADE","timestamp":1704205800002,"price":"not checked","seq":3}',
    ];
    const publisher = await connect('/ingest');
    publisher.send(`${lines.join('\n')}\n`);
    await subscriber.until(() => subscriber.frames.length >= 1 + lines.length, `${lines.length} relayed lines`);
    assert.deepEqual(
      subscriber.frames.slice(1).map((f) => f.text),
      lines,
    );
    assert.deepEqual(publisher.frames, []);
  });
});

describe('probe', () => {
  it('delivers every tick it sends through the floor, and reports its histograms and CPU', async () => {
    assert.ok(floor !== undefined);
    const rate = 200;
    const seconds = 1.5;
    const warmupSeconds = 0.5;
    const result = await runProbe(floor, { rate, seconds, symbols: 10, warmupSeconds });
    assert.equal(result.sent, rate * seconds);
    assert.equal(result.delivered, result.sent);
    assert.equal(result.duplicates, 0);
    assert.equal(result.ingestReplies, 0, result.firstIngestReply);
    // Every tick due after the warm-up is timed, from due and from send, and has its lateness.
    const timed = rate * (seconds - warmupSeconds);
    assert.equal(result.fromDue.totalCount, timed);
    assert.equal(result.fromSend.totalCount, timed);
    assert.equal(result.lateness.totalCount, timed);
    assert.ok(Number.isFinite(result.probeCpuPercent) && result.probeCpuPercent > 0, `probe CPU ${result.probeCpuPercent}`);
    assert.ok(Number.isFinite(result.engineCpuPercent) && result.engineCpuPercent >= 0, `floor CPU ${result.engineCpuPercent}`);
    for (const h of [result.fromDue, result.fromSend, result.lateness]) h.destroy();
  });

  it('finds the tick seq in a tickflow frame and in a bare tick line with one rule', () => {
    const frame = Buffer.from('xx{"ch":"trades.S0001","seq":17,"data":{"symbol":"S0001","event_type":"TRADE","volume":100,"seq":4021}}yy');
    assert.equal(seqOf(frame, 2, frame.length - 2), 4021);
    const line = Buffer.from('{"symbol":"S0001","event_type":"TRADE","timestamp":1,"price":100.00,"volume":100,"exchange":"XNAS","seq":9}');
    assert.equal(seqOf(line, 0, line.length), 9);
    assert.equal(seqOf(Buffer.from('{"op":"pong"}'), 0, 13), -1);
    // Only inside the given range: a seq in the next message is not this one's.
    const two = Buffer.from('{"op":"x"}{"seq":5}');
    assert.equal(seqOf(two, 0, 10), -1);
  });
});
