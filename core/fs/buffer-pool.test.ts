// BufferPool: the same memory back after a give, each buffer once, nothing foreign, and idle ones let go when asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from './buffer-pool.ts';

test('a buffer given back is taken again; a second give, a foreign buffer and one past the cap are ignored', () => {
  const pool = new BufferPool(4096, 2);
  const a = pool.take();
  assert.equal(a.length, 4096);
  assert.ok(pool.isWhole(a));
  assert.ok(!pool.isWhole(a.subarray(1)), 'a part is not the whole buffer');
  pool.give(a.subarray(10, 20)); // any view gives back its buffer
  pool.give(a); // twice: ignored
  assert.equal(pool.idle, 1);
  assert.ok(!pool.isWhole(a), 'an idle buffer is not passed on as in use');
  assert.equal(pool.take().buffer, a.buffer, 'the same memory');
  pool.give(Buffer.alloc(4096));
  assert.equal(pool.idle, 0, 'not ours: ignored');
  const [x, y, z] = [pool.take(), pool.take(), pool.take()];
  for (const b of [x, y, z]) pool.give(b);
  assert.equal(pool.idle, 2, 'kept up to the cap');
  assert.equal(pool.made, 4);
});

test('with keepMs, idle buffers are let go once none was given back for that long', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const pool = new BufferPool(1024, 4, 30_000);
  const [a, b] = [pool.take(), pool.take()];
  pool.give(a);
  t.mock.timers.tick(20_000);
  pool.give(b); // starts the wait again
  t.mock.timers.tick(20_000);
  assert.equal(pool.idle, 2, 'still kept: the last give was 20 s ago');
  t.mock.timers.tick(10_000);
  assert.equal(pool.idle, 0, 'let go 30 s after the last give');
  const c = pool.take();
  assert.ok(c.buffer !== a.buffer && c.buffer !== b.buffer, 'a new one is made');
});
