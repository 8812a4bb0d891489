import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { affinityAddon, allowedCpus, pinCurrentThread } from '../../src/native/affinity';
import { assignCpus } from '../../src/partition/partition-pool';

describe('CPU affinity addon', () => {
  it('loads and reports the CPUs this process may use', () => {
    const addon = affinityAddon();
    assert.ok(!(addon instanceof Error), addon instanceof Error ? addon.message : '');
    const cpus = allowedCpus();
    assert.ok(cpus !== null && cpus.length >= 1);
    assert.ok(cpus.every((cpu) => Number.isInteger(cpu) && cpu >= 0));
  });

  it("pins only the calling thread: a worker pinned to one CPU leaves the main thread's mask alone", async () => {
    const before = allowedCpus();
    assert.ok(before !== null);
    const target = before[before.length - 1] as number;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.path);
      addon.pinCurrentThread(workerData.cpu);
      let sum = 0;
      for (let i = 0; i < 1e6; i++) sum += i;
      parentPort.postMessage({ mask: addon.currentThreadAffinity(), cpu: addon.currentCpu(), tid: addon.currentThreadId(), sum });
    `;
    const { join } = await import('node:path');
    const path = join(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'tickflow_native.node');
    const result = await new Promise<{ mask: number[]; cpu: number; tid: number }>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { path, cpu: target } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.deepEqual(result.mask, [target]);
    assert.equal(result.cpu, target);
    const addon = affinityAddon();
    assert.ok(!(addon instanceof Error));
    assert.notEqual(result.tid, addon.currentThreadId());
    assert.deepEqual(allowedCpus(), before);
  });

  it('explains a refused pin instead of throwing', () => {
    const reason = pinCurrentThread(100_000);
    assert.match(reason ?? '', /pinning to CPU 100000 failed/);
    assert.ok((allowedCpus() ?? []).length >= 1);
  });

  it('spreads workers over the cores after the first, wrapping when there are more workers', () => {
    assert.deepEqual(assignCpus(1, [0, 1]), [1]);
    assert.deepEqual(assignCpus(3, [0, 1, 2, 3]), [1, 2, 3]);
    assert.deepEqual(assignCpus(3, [0, 1]), [1, 1, 1]);
    assert.deepEqual(assignCpus(2, [5]), [5, 5]);
  });
});
