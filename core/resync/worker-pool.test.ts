import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from './worker-pool.ts';

test('the first error stops every worker from starting another item, and is thrown once all have ended', async () => {
  const pool = new WorkerPool();
  const queue = Array.from({ length: 20 }, (_, i) => i);
  const started: number[] = [];
  let inFlight = 0;
  let failedSeenInFinally = false;
  const worker = async () => {
    while (queue.length && !pool.failed) {
      const item = queue.shift()!;
      started.push(item);
      inFlight++;
      try {
        await pool.guard((async () => {
          await Promise.resolve();
          if (item === 3) throw new Error('item 3 failed');
        })());
      } finally {
        inFlight--;
        if (item === 3) failedSeenInFinally = pool.failed;
      }
    }
  };
  await assert.rejects(pool.run(3, worker), /item 3 failed/);
  assert.equal(inFlight, 0, 'nothing in flight when run() throws');
  assert.ok(failedSeenInFinally, 'failed is set before the failing worker cleans up');
  assert.ok(Math.max(...started) <= 5, `no item started after the failure: ${started.join(',')}`);
});

test('a pool with no error resolves after every worker has finished', async () => {
  const pool = new WorkerPool();
  let done = 0;
  await pool.run(4, async () => { await Promise.resolve(); done++; });
  assert.equal(done, 4);
  assert.equal(pool.failed, false);
});
