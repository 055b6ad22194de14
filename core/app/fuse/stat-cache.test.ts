import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileStat, Mirror, MirrorEvent } from '../../index.ts';
import { MirrorError } from '../../index.ts';
import { StatCache } from './stat-cache.ts';
import { MemoryBudget, Stage } from './stages.ts';
import { tempDir } from '../../../test/helpers/tmp.ts';

/** A mirror whose stat answers from a map and counts calls; `emit` plays the engine's events. */
function fakeMirror() {
  const files = new Map<string, FileStat>();
  const listeners = new Set<(e: MirrorEvent) => void>();
  let calls = 0;
  let gate: Promise<void> | undefined;
  const m = {
    async stat(path: string): Promise<FileStat> {
      calls++;
      const answer = files.get(path);
      await gate;
      if (!answer) throw new MirrorError('ENOTFOUND', `"${path}" does not exist.`, { path });
      return answer;
    },
    onEvent(l: (e: MirrorEvent) => void) { listeners.add(l); return () => listeners.delete(l); },
  } as unknown as Mirror;
  return {
    m, files,
    calls: () => calls,
    emit: (e: MirrorEvent) => { for (const l of listeners) l(e); },
    hold: () => { let open!: () => void; gate = new Promise((r) => (open = r)); return () => { gate = undefined; open(); }; },
  };
}
const file = (size: number): FileStat => ({ type: 'file', size, mtimeMs: size });
const dir: FileStat = { type: 'dir', size: 0, mtimeMs: 1 };

test('stat answers are kept until the engine reports a change of the path, its folder or a folder above the path', async () => {
  const f = fakeMirror();
  const c = new StatCache();
  f.files.set('a', dir).set('a/b', dir).set('a/b/x', file(1));
  assert.equal((await c.stat(f.m, 'a/b/x')).size, 1);
  await c.stat(f.m, 'a/b');
  await c.stat(f.m, 'a');
  await assert.rejects(c.stat(f.m, 'a/b/new'), (e: MirrorError) => e.code === 'ENOTFOUND');
  assert.equal(f.calls(), 4);
  await c.stat(f.m, 'a/b/x'); await c.stat(f.m, 'a/b'); await c.stat(f.m, 'a');
  await assert.rejects(c.stat(f.m, 'a/b/new'));
  assert.equal(f.calls(), 4, 'all four answered from the cache');

  // A write of a new file (through WebDAV, say): the file and its folder are asked again, not the folder above.
  f.files.set('a/b/new', file(7));
  f.emit({ type: 'files-changed', paths: ['a/b/new'] });
  assert.equal((await c.stat(f.m, 'a/b/new')).size, 7);
  await c.stat(f.m, 'a/b'); await c.stat(f.m, 'a'); await c.stat(f.m, 'a/b/x');
  assert.equal(f.calls(), 6);

  // A folder renamed or removed: everything under it is asked again.
  f.files.set('a/b/x', file(9));
  f.emit({ type: 'files-changed', paths: ['a/b'] });
  assert.equal((await c.stat(f.m, 'a/b/x')).size, 9);

  // Names that fold alike are one: a change to "A/B/X" drops "a/b/x".
  f.files.set('a/b/x', file(10));
  f.emit({ type: 'files-changed', paths: ['A/B/X'] });
  assert.equal((await c.stat(f.m, 'a/b/x')).size, 10);

  // A member changing state drops everything; so does '' (anything changed).
  f.files.set('a/b/x', file(11));
  f.emit({ type: 'member-state', memberId: 'm', state: 'faulty' });
  assert.equal((await c.stat(f.m, 'a/b/x')).size, 11);
  f.files.set('a/b/x', file(12));
  f.emit({ type: 'files-changed', paths: [''] });
  assert.equal((await c.stat(f.m, 'a/b/x')).size, 12);
  // Progress events change nothing.
  f.emit({ type: 'behind', memberId: 'm', behindWrites: 1, behindBytes: 1 });
  const before = f.calls();
  await c.stat(f.m, 'a/b/x');
  assert.equal(f.calls(), before);
});

test('a stat in flight while a change is reported is not kept', async () => {
  const f = fakeMirror();
  const c = new StatCache();
  f.files.set('x', file(1));
  const open = f.hold();
  const pending = c.stat(f.m, 'x');
  f.files.set('x', file(2));
  f.emit({ type: 'files-changed', paths: ['x'] });
  open();
  assert.equal((await pending).size, 1); // the answer it read before the change
  assert.equal((await c.stat(f.m, 'x')).size, 2, 'the stale answer was not kept');
});

test('a stage in memory reads, writes at offsets, truncates and grows like a file; past its limit it moves to a file', async (t) => {
  const budget = new MemoryBudget(64 << 10);
  const dir = await tempDir(t);
  const s = new Stage({ path: 'p', dir, budget, dirty: true, mode: 0o644 });
  await s.write(Buffer.from('hello world'), 0);
  await s.write(Buffer.from('XY'), 20); // a hole of zeros between
  assert.equal((await s.stat()).size, 22);
  const buf = Buffer.alloc(30);
  assert.equal(await s.read(buf, 30, 0), 22);
  assert.deepEqual(buf.subarray(0, 22), Buffer.concat([Buffer.from('hello world'), Buffer.alloc(9), Buffer.from('XY')]));
  await s.truncate(5);
  await s.truncate(8); // grows again: zeros, not the old bytes
  assert.equal(await s.read(buf, 30, 0), 8);
  assert.deepEqual(buf.subarray(0, 8), Buffer.concat([Buffer.from('hello'), Buffer.alloc(3)]));
  assert.ok(s.inMemory);
  assert.ok(budget.used > 0);
  // Past the budget: the bytes move to a temp file, and read the same.
  await s.write(Buffer.alloc(100 << 10, 1), 8);
  assert.equal(s.inMemory, false);
  assert.equal(budget.used, 0);
  assert.equal((await s.stat()).size, 8 + (100 << 10));
  assert.equal(await s.read(buf, 10, 0), 10);
  assert.deepEqual(buf.subarray(0, 10), Buffer.concat([Buffer.from('hello'), Buffer.alloc(3), Buffer.from([1, 1])]));
  await s.discard();
});
