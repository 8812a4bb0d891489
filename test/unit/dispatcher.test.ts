// The dispatcher names every symbol to its partition before the first tick
// that uses it, even when full rings refuse ticks of several new symbols and
// the refused ticks are retried in another order (publishers and Kafka input
// partitions retry independently).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher } from '../../src/partition/dispatcher';
import { Msg } from '../../src/partition/protocol';
import { NameKind, RingDecoder } from '../../src/partition/ring-codec';
import { TickFields } from '../../src/records/tick-fields';
import { RingConsumer } from '../../src/ring/ring-consumer';
import { RingProducer } from '../../src/ring/ring-producer';
import { createRing } from '../../src/ring/ring-descriptor';
import { ValidTick } from '../../src/ingest/tick-validator';

function trade(symbol: string, timestamp: number): ValidTick {
  return Object.assign(new ValidTick(), { symbol, timestamp, price: 100, volume: 1 });
}

/** Reads a ring, failing on a tick whose symbol id was not named before it. */
function readAll(consumer: RingConsumer, named: Map<number, string>, ticks: string[]): void {
  const decoder = new RingDecoder(consumer.bytes);
  const fields = new TickFields();
  consumer.poll((type, offset) => {
    if (type === Msg.REGISTER_NAME) {
      const name = decoder.registerName(offset);
      if (name.kind === NameKind.SYMBOL) named.set(name.id, name.name);
    } else if (type === Msg.TICK) {
      const id = decoder.tick(offset, fields).symbolId;
      const symbol = named.get(id);
      assert.ok(symbol !== undefined, `tick for unnamed symbol id ${id}`);
      ticks.push(symbol);
    }
  }, 1 << 20);
}

describe('dispatcher', () => {
  it('names each new symbol before its first tick when ticks of several new symbols were refused by a full ring', () => {
    const buffer = createRing(4096);
    const producer = new RingProducer(buffer);
    const consumer = new RingConsumer(buffer);
    const dispatcher = new Dispatcher([producer]);
    let t = 1_000;
    while (dispatcher.dispatch(trade('FILL', t++), 0) >= 0);
    assert.ok(dispatcher.dispatch(trade('AAA', t), 0) < 0, 'the full ring refuses a new symbol');
    assert.ok(dispatcher.dispatch(trade('BBB', t), 0) < 0, 'and another one');
    producer.publish();
    const named = new Map<number, string>();
    const ticks: string[] = [];
    readAll(consumer, named, ticks);
    // Retried in the other order, as two independent producers may.
    assert.ok(dispatcher.dispatch(trade('BBB', t), 0) >= 0);
    assert.ok(dispatcher.dispatch(trade('AAA', t), 0) >= 0);
    producer.publish();
    ticks.length = 0;
    readAll(consumer, named, ticks);
    assert.deepEqual(ticks, ['BBB', 'AAA']);
  });
});
