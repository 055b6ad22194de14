// "Not found" is final only from a drive that is still there: after a missing name, the engine checks the member's
// superblock (Mirror.alive). That check is on the path of every lookup of a new name (a share's PUT, a program probing
// for a file), so it reads the superblock again only when its stat changed; a swapped or pulled drive is still seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';

test('lookups of missing names read the superblock once; a drive swapped under the folder is still caught', async (t) => {
  const dir = await tempDir(t, 'nasm-alive-', RAM_DIR);
  const A = join(dir, 'ssd'), B = join(dir, 'ssd2'), other = join(dir, 'other'), other2 = join(dir, 'other2');
  const fsA = new FaultyFs(new NodeFs());
  let superblockReads = 0;
  fsA.options.failPath = (path, op) => { if (op === 'read' && path.endsWith('superblock.json')) superblockReads++; return false; };
  const m = await createMirror({ members: [{ path: A, label: 'SSD', fs: fsA } as EngineMemberSpec, { path: B, label: 'SSD 2' }] });
  t.after(() => m.stop().catch(() => {}));
  const foreign = await createMirror({ members: [{ path: other, label: 'elsewhere' }, { path: other2, label: 'elsewhere 2' }] });
  await foreign.stop();

  for (let i = 0; i < 20; i++) await assert.rejects(m.stat(`new-${i}.txt`), { code: 'ENOTFOUND' });
  assert.ok(superblockReads >= 1 && superblockReads <= 2, `the superblock was read ${superblockReads} times for 20 missing names`);
  assert.equal(m.status().members.find((x) => x.label === 'SSD')!.state, 'in_sync');

  // Another mirror's drive at the same place (its superblock is a new file): the next "not found" there is not
  // believed, the member is failed, and the answer comes from the drive that is still this mirror's.
  await copyFile(join(other, '.nas-mirror', 'superblock.json'), join(A, '.nas-mirror', 'superblock.json.new'));
  await rename(join(A, '.nas-mirror', 'superblock.json.new'), join(A, '.nas-mirror', 'superblock.json'));
  await assert.rejects(m.stat('new-0.txt'), { code: 'ENOTFOUND' });
  assert.equal(m.status().members.find((x) => x.label === 'SSD')!.state, 'faulty');
});
