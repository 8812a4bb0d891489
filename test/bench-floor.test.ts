// The live benchmark reads tickflow's latency against a transport floor
// (bench/floor/relay.ts). The floor is only a floor if it relays each line
// as its own message and nothing more: pinned down here, on a real process.
// No timing is asserted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEngine, type EngineProcess } from '../bench/load/engine-process';
import { TestClient } from './fixtures/ws-client';

let floor: EngineProcess | undefined;
const clients: TestClient[] = [];

before(async () => {
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
    assert.deepEqual(subscriber.frames.slice(1).map((f) => f.text), lines);
    assert.deepEqual(publisher.frames, []);
  });
});
