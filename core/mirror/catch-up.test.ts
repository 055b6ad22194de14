// The catch-up rule (invariant 25, catch-up.ts): which live operations a member being caught up may take directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Superblock } from '../journal/superblock.ts';
import { CatchUp, catchUpPlan } from './catch-up.ts';

test('a pending path blocks the path itself, the folders above it and everything below it — nothing else', () => {
  const cu = new CatchUp(['photos/2024/a.jpg']);
  assert.equal(cu.overlapsAny(['photos/2024/a.jpg']), true, 'the path');
  assert.equal(cu.overlapsAny(['photos/2024']), true, 'its folder (a rename or remove of it would move the stale copy)');
  assert.equal(cu.overlapsAny(['photos']), true, 'a folder further up');
  assert.equal(cu.overlapsAny(['photos/2024/a.jpg/x']), true, 'below it');
  assert.equal(cu.overlapsAny(['photos/2024/b.jpg']), false, 'a sibling is current');
  assert.equal(cu.overlapsAny(['photos/2025/a.jpg', 'docs']), false);
  assert.equal(cu.overlapsAny(['docs', 'photos/2024/a.jpg']), true, 'any of the operation\'s paths');
});

test('a full resync starts with the root pending: every live operation joins the catch-up until folders are copied', () => {
  const cu = new CatchUp(['']);
  assert.equal(cu.overlapsAny(['anything/at/all']), true);
  assert.equal(cu.take(), '');
  cu.add(['a', 'b']); // the root's entries, added before the root counts as copied
  cu.finished('');
  assert.equal(cu.overlapsAny(['a/x']), true);
  assert.equal(cu.overlapsAny(['c']), false, 'a name the root did not have is current once the root was copied');
  assert.equal(cu.take(), 'a');
  cu.finished('a');
  assert.equal(cu.overlapsAny(['a/x']), false);
  assert.equal(cu.done, false);
  assert.equal(cu.take(), 'b');
  cu.finished('b');
  assert.equal(cu.done, true);
  assert.equal(cu.overlapsAny(['b']), false);
});

test('a path queued twice stays pending until both copies are done; a copy in progress is pending', () => {
  const cu = new CatchUp(['x']);
  cu.add(['x']); // a live operation on x while its first copy waits
  assert.equal(cu.take(), 'x');
  assert.equal(cu.overlapsAny(['x']), true, 'being copied');
  cu.finished('x');
  assert.equal(cu.overlapsAny(['x']), true, 'queued again');
  assert.equal(cu.take(), 'x');
  cu.finished('x');
  assert.equal(cu.overlapsAny(['x']), false);
  assert.equal(cu.done, true);
});

test('names are compared as the strictest member compares them: case and Unicode form folded', () => {
  const cu = new CatchUp(['Photos/Caf\u00e9.jpg']);
  assert.equal(cu.overlapsAny(['photos/cafe\u0301.JPG']), true);
  assert.equal(cu.overlapsAny(['PHOTOS']), true);
  assert.equal(cu.overlapsAny(['photos/other.jpg']), false);
});

test('changed() wakes a waiting copier when work arrives, when the last copy finishes, and on wake()', async () => {
  const cu = new CatchUp(['a']);
  assert.equal(cu.take(), 'a');
  let woke = 0;
  const waiting = cu.changed().then(() => woke++);
  cu.add(['b']);
  await waiting;
  assert.equal(woke, 1, 'new work');
  assert.equal(cu.take(), 'b');
  cu.finished('b');
  const last = cu.changed();
  cu.finished('a');
  await last; // everything done
  assert.equal(cu.done, true);
  await cu.changed(); // done: resolves at once
  const cut = new CatchUp(['z']);
  cut.take();
  const cutShort = cut.changed();
  cut.wake();
  await cutShort;
});

test('catchUpPlan: records since its own generation when it left cleanly after the last clear; else every record or the whole tree', () => {
  const sb = (o: Partial<Superblock> & { self?: 'in_sync' | 'resyncing'; resync?: 'full' | 'records' } = {}): Superblock => ({
    format: 1, mirrorId: 'M', mirrorLabel: 'NAS', memberId: 'u', label: 'USB', writeMostly: true, generation: 10, generationCleared: 4,
    clean: true, maxBehindWrites: 256, maxBehindBytes: 1 << 20, updatedAt: '', ...o,
    members: [{ id: 'u', label: 'USB', writeMostly: true, state: o.self ?? 'in_sync', ...(o.resync ? { resync: o.resync } : {}) }],
  });
  const base = { generationCleared: 4, stillFilling: false, clean: true };
  assert.deepEqual(catchUpPlan(sb(), base), { since: 10 });
  assert.deepEqual(catchUpPlan(sb(), { ...base, clean: false }), { since: null }, 'a crash: any recorded path may differ');
  assert.equal(catchUpPlan(sb(), { ...base, generationCleared: 11 }), 'full', 'records it needs were cleared while it was away');
  assert.equal(catchUpPlan(sb(), { ...base, stillFilling: true }), 'full', 'it left while still being filled');
  assert.equal(catchUpPlan(sb({ self: 'resyncing', resync: 'full' }), base), 'full', 'its own superblock says it was being filled');
  assert.deepEqual(catchUpPlan(sb({ self: 'resyncing', resync: 'records' }), base), { since: 10 }, 'a records catch-up resumes from records');
});
