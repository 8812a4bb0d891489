import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { RingConsumer } from '../../src/ring/ring-consumer';
import { RingProducer } from '../../src/ring/ring-producer';
import {
  CONSUMER_PARKED_SLOT,
  CONTROL_BYTES,
  RING_FULL,
  alignRecord,
  createRing,
  maxPayloadLength,
  ringViews,
  roundUpToPowerOfTwo,
} from '../../src/ring/ring-descriptor';
import { checkStream, payloadByte, recordSize, type PeerInit, type PeerReport } from '../fixtures/ring-peer';
import { seededRandom } from '../fixtures/seeded-random';

const PEER = join(__dirname, '..', 'fixtures', 'ring-peer.js');

/** Runs the peer thread; `stop` ends it early when the main side has already failed. */
function runPeer(init: PeerInit): { done: Promise<PeerReport>; stop: () => Promise<number> } {
  const worker = new Worker(PEER, { workerData: init });
  const done = new Promise<PeerReport>((resolve, reject) => {
    worker.once('message', (report: PeerReport) => resolve(report));
    worker.once('error', reject);
  });
  return { done, stop: () => worker.terminate() };
}

describe('ring descriptor', () => {
  it('rounds capacity up to a power of two and keeps counters on separate cache lines', () => {
    assert.equal(roundUpToPowerOfTwo(1000), 1024);
    assert.equal(roundUpToPowerOfTwo(5000), 8192);
    const ring = createRing(3000);
    const views = ringViews(ring);
    assert.equal(views.capacity, 4096);
    assert.equal(ring.byteLength, CONTROL_BYTES + 4096);
    assert.equal(maxPayloadLength(4096), 4096 / 8 - 8);
    assert.equal(alignRecord(0), 8);
    assert.equal(alignRecord(1), 16);
    assert.equal(alignRecord(8), 16);
  });

  it('refuses a buffer that is not a ring', () => {
    assert.throws(() => ringViews(new SharedArrayBuffer(4096)), /not a ring buffer/);
  });
});

describe('ring in one thread', () => {
  it('returns RING_FULL instead of overwriting, and accepts again once the consumer reads', () => {
    const ring = createRing(1024);
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    let written = 0;
    while (producer.claim(1, 56) !== RING_FULL) written++;
    assert.equal(written, 1024 / 64);
    producer.publish();
    let read = 0;
    consumer.poll(() => read++, 3);
    assert.equal(read, 3);
    assert.notEqual(producer.claim(1, 56), RING_FULL);
  });

  it('rejects a record larger than an eighth of the ring', () => {
    const producer = new RingProducer(createRing(1024));
    assert.throws(() => producer.claim(1, 1024), /exceeds the ring's maximum/);
  });

  it('hides claimed records until publish', () => {
    const ring = createRing(1024);
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    producer.write(5, new Uint8Array([1, 2, 3]));
    assert.equal(
      consumer.poll(() => assert.fail('unpublished record was visible')),
      0,
    );
    producer.publish();
    const seen: number[][] = [];
    consumer.poll((type, offset, length) => seen.push([type, ...consumer.bytes.subarray(offset, offset + length)]));
    assert.deepEqual(seen, [[5, 1, 2, 3]]);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`keeps order and content through random sizes, wrap-around and full rings (seed ${seed})`, () => {
      const ring = createRing(1024);
      const producer = new RingProducer(ring);
      const consumer = new RingConsumer(ring);
      const random = seededRandom(seed);
      const sizes = seededRandom(seed * 7919);
      const check = seededRandom(seed * 7919);
      const count = 20_000;
      const maxPayload = producer.maxPayload;
      let sent = 0;
      let received = 0;
      let fulls = 0;
      while (received < count) {
        if (sent < count && random() < 0.75) {
          const size = recordSize(sizes, maxPayload);
          let at = producer.claim(2, size);
          if (at === RING_FULL) {
            fulls++;
            // Retry after the consumer has read, with the same size.
            producer.publish();
            consumer.poll((_t, offset, length) => {
              const expected = recordSize(check, maxPayload);
              assert.equal(length, expected);
              for (let j = 0; j < length; j++) assert.equal(consumer.bytes[offset + j], payloadByte(received, j));
              received++;
            });
            at = producer.claim(2, size);
          }
          assert.notEqual(at, RING_FULL);
          for (let j = 0; j < size; j++) producer.bytes[at + j] = payloadByte(sent, j);
          sent++;
          if (random() < 0.5) producer.publish();
        } else {
          producer.publish();
          consumer.poll(
            (_t, offset, length) => {
              assert.equal(length, recordSize(check, maxPayload));
              for (let j = 0; j < length; j++) assert.equal(consumer.bytes[offset + j], payloadByte(received, j));
              received++;
            },
            1 + Math.floor(random() * 4),
          );
        }
      }
      assert.equal(sent, count);
      assert.ok(fulls > 0, 'the test never filled the ring');
      assert.ok(consumer.isEmpty());
    });
  }
});

describe('ring across threads', () => {
  for (const seed of [11, 12, 13]) {
    it(`a producer thread's records arrive complete, once and in order (seed ${seed})`, async () => {
      const ring = createRing(4096);
      const init = { ring, count: 200_000, seed, maxPayload: maxPayloadLength(4096) };
      const peer = runPeer({ ...init, role: 'produce' });
      const report = checkStream(init, new RingConsumer(ring), 60_000);
      if (report.errors.length > 0 || report.received < init.count) await peer.stop();
      else await peer.done;
      assert.deepEqual(report.errors, []);
      assert.equal(report.received, init.count);
    });
  }

  it('a consumer thread receives everything the main thread produces, through backpressure', async () => {
    const ring = createRing(1024);
    const init = { ring, count: 100_000, seed: 21, maxPayload: maxPayloadLength(1024) };
    const peer = runPeer({ ...init, role: 'consume' });
    const producer = new RingProducer(ring);
    const random = seededRandom(init.seed);
    const deadline = Date.now() + 60_000;
    let waits = 0;
    for (let i = 0; i < init.count; i++) {
      const size = recordSize(random, init.maxPayload);
      let at = producer.claim(1 + (i % 7), size);
      while (at === RING_FULL && Date.now() < deadline) {
        waits++;
        producer.waitForSpace(size, 100);
        at = producer.claim(1 + (i % 7), size);
      }
      assert.notEqual(at, RING_FULL, 'the consumer thread stopped reading');
      for (let j = 0; j < size; j++) producer.bytes[at + j] = payloadByte(i, j);
      producer.publish();
    }
    const report = await peer.done;
    assert.deepEqual(report.errors, []);
    assert.equal(report.received, init.count);
    assert.ok(waits > 0, 'the producer never had to wait');
  });

  it('a parked consumer is woken by publish, not by a timeout', { timeout: 30_000 }, async () => {
    const ring = createRing(1024);
    const init = { ring, count: 1, seed: 31, maxPayload: 8, waitMs: 3_600_000 };
    const peer = runPeer({ ...init, role: 'consume' });
    const control = ringViews(ring).control;
    for (let i = 0; i < 200 && Atomics.load(control, CONSUMER_PARKED_SLOT) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(Atomics.load(control, CONSUMER_PARKED_SLOT), 1, 'the consumer never parked');
    const producer = new RingProducer(ring);
    const size = recordSize(seededRandom(31), 8);
    const at = producer.claim(1, size);
    for (let j = 0; j < size; j++) producer.bytes[at + j] = payloadByte(0, j);
    producer.publish();
    const report = await peer.done;
    assert.deepEqual(report, { received: 1, errors: [] });
  });
});
