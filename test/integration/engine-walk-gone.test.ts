// Walks that look at a whole drive outside the paths' lines — a full resync counting what it will copy (resync.ts
// measure), a scrub listing the files (scrub.ts filesOf) — run while live operations change the tree. A folder
// removed under such a walk is an empty folder to it, never an error: before the rule, a live remove of a folder
// during the count failed the member being filled (CI seed 1898513326 of engine-batch-copy), and a scrub failed.
// Each test holds the walk's look at the folder, removes the folder live, then lets the look go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { treeOf } from '../helpers/engine.ts';

const FILES = Array.from({ length: 6 }, (_, i) => `p/f${i}`);

/** Holds the first listing of `dir` on `fs` (the walk's), and no other call. */
function holdFirstListing(fs: FaultyFs, dir: string): Promise<void> {
  let seen = false;
  return fs.hang((p, op) => {
    if (seen || op !== 'readdir' || p !== dir) return false;
    seen = true;
    return true;
  });
}

async function twoMembers(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const fast = new FaultyFs(new NodeFs());
  const members: EngineMemberSpec[] = [{ path: join(dir, 'm0'), label: 'm0', fs: fast }, { path: join(dir, 'm1'), label: 'm1' }];
  const m = await createMirror({ members, watchOutside: false });
  t.after(async () => { fast.resume(); await m.stop().catch(() => {}); });
  for (const [i, p] of FILES.entries()) await m.writeFile(p, `v${i}`);
  await m.writeFile('keep.txt', 'kept');
  await m.drain();
  return { dir, fast, m };
}

test('a folder removed while a full resync counts it: the new member still catches up', async (t) => {
  const { dir, fast, m } = await twoMembers(t);
  await m.failMember(m.status().members[1]!.id);
  await mkdir(join(dir, 'm2'));
  const held = holdFirstListing(fast, join(dir, 'm0', 'p'));
  const adding = m.addMember({ path: join(dir, 'm2'), label: 'm2' });
  await held; // the count is looking at p
  await m.remove('p');
  fast.resume();
  await adding;
  await m.drain();
  const added = m.status().members.find((x) => x.label === 'm2')!;
  assert.equal(added.state, 'in_sync', added.error);
  assert.deepEqual(await treeOf(join(dir, 'm2')), await treeOf(join(dir, 'm0')));
  assert.deepEqual([...(await treeOf(join(dir, 'm2'))).keys()], ['keep.txt']);
});

test('a folder removed while a scrub lists it: the scrub finishes and finds nothing', async (t) => {
  const { dir, fast, m } = await twoMembers(t);
  const held = holdFirstListing(fast, join(dir, 'm0', 'p'));
  const scrub = m.scrub({ repair: true });
  await held; // the scrub is listing p on m0
  await m.remove('p');
  fast.resume();
  const r = await scrub;
  assert.deepEqual(r.findings, []);
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
});
