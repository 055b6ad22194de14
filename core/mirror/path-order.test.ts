import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ordersAfter, PathOrder } from './path-order.ts';

// Paths from a few names that differ only in case or Unicode form, so overlaps and second spellings are common.
const name = fc.constantFrom('a', 'A', 'b', 'B', 'é', 'e\u0301', 'photos', 'Photos');
const path = fc.oneof(fc.constant(''), fc.array(name, { minLength: 1, maxLength: 4 }).map((p) => p.join('/')));

test('an indexed entry orders exactly what comparing its paths pair by pair orders', () => {
  fc.assert(fc.property(fc.array(path, { minLength: 1, maxLength: 20 }), fc.array(path, { minLength: 1, maxLength: 3 }), (held, asked) => {
    assert.equal(ordersAfter(held, asked, true), ordersAfter(held, asked, false));
  }), { numRuns: 20_000 });
});

test('sixty-four siblings in one place in line: a later write of one of them waits, of another does not', async () => {
  const order = new PathOrder();
  const batch = Array.from({ length: 64 }, (_, i) => `Photos/img ${i}.jpg`);
  const held = order.reserve(batch);
  await held.ready;
  const settled = (p: Promise<void>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
  assert.equal(await settled(order.reserve(['Photos/other.jpg']).ready), true, 'a sibling not in the batch goes at once');
  assert.equal(await settled(order.reserve(['photos/IMG 7.jpg']).ready), false, 'the same file, folded, waits');
  assert.equal(await settled(order.reserve(['photos/other.jpg']).ready), false, 'the folder under another spelling waits');
  assert.equal(await settled(order.reserve(['Photos']).ready), false, 'the folder above waits');
  held.release();
});
