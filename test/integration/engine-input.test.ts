// Bad input is refused with a clear code and changes nothing (invariant 22); exFAT rules; a yanked drive (loop image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMirror, type Mirror } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nextEvent, text, treeOf } from '../helpers/engine.ts';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';

const exec = promisify(execFile);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.ok(e.message.length > 20, 'the message explains');
    return true;
  });
}

test('createMirror refuses bad member lists and changes nothing', async (t) => {
  const dir = await tempDir(t);
  const a = join(dir, 'a'), b = join(dir, 'b');
  await mkdir(a); await mkdir(b);
  await rejectsWith(createMirror({ members: [{ path: a }] }), 'EINVALIDOPTION');
  await rejectsWith(createMirror({ members: [{ path: a }, { path: a }] }), 'EDUPLICATE');
  await rejectsWith(createMirror({ members: [{ path: a }, { path: join(a, 'inner') }] }), 'ENESTED');
  await rejectsWith(createMirror({ members: [{ path: a }, { path: b }], maxBehindWrites: -1 }), 'EINVALIDOPTION');
  await rejectsWith(createMirror({ members: [{ path: a }, { path: join(dir, 'no', 'such') }] }), 'ENOTFOUND');
  await writeFile(join(b, 'keep.txt'), 'precious');
  await rejectsWith(createMirror({ members: [{ path: a }, { path: b }], adoptFrom: 0 }), 'EBUSY'); // files where the first's go
  assert.deepEqual([...(await treeOf(a)).keys()], [], 'nothing was written to the first folder');
  assert.equal(Buffer.from((await treeOf(b)).get('keep.txt')!, 'base64').toString(), 'precious');
  // Another mirror's folder
  const c = join(dir, 'c'), d = join(dir, 'd'), e = join(dir, 'e');
  const other = await createMirror({ members: [{ path: c }, { path: d }] });
  await other.stop();
  await rejectsWith(createMirror({ members: [{ path: e }, { path: d }] }), 'EFOREIGN');
});

test('createMirror refuses a read-only folder', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a read-only tmpfs');
  const dir = await tempDir(t);
  const ro = join(dir, 'ro');
  await mkdir(ro);
  await exec('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
  try {
    await rejectsWith(createMirror({ members: [{ path: join(dir, 'a') }, { path: ro }] }), 'EREADONLY');
  } finally {
    await exec('umount', [ro]);
  }
});

test('bad paths are refused with EINVALIDPATH and write nothing anywhere', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true }] });
  t.after(() => m.stop());
  const bad = ['../escape', 'a/../../b', '/etc/passwd', 'a//b', 'nul\0byte', 'lone \uD800 surrogate', 'x\uDC00', '.nas-mirror/superblock.json', '.NAS-MIRROR/x', '', 'C:\\x', './'];
  for (const p of bad) {
    await rejectsWith(m.writeFile(p, 'x'), 'EINVALIDPATH');
    await rejectsWith(m.readFile(p), 'EINVALIDPATH');
  }
  await rejectsWith(m.rename('x', '../y'), 'EINVALIDPATH');
  await rejectsWith(m.remove('missing'), 'ENOTFOUND');
  await rejectsWith(m.rename('missing', 'y'), 'ENOTFOUND');
  await m.writeFile('file', 'x');
  await rejectsWith(m.writeFile('file/child', 'x'), 'ENOTDIR');
  await m.mkdir('folder');
  await rejectsWith(m.writeFile('folder', 'x'), 'EISDIR');
  await rejectsWith(m.rename('folder', 'folder/inside'), 'EINVALIDPATH');
  await rejectsWith(m.readFile('nope'), 'ENOTFOUND');
  await rejectsWith(m.failMember('no-such-member'), 'ENOMEMBER');
  await m.drain();
  assert.deepEqual([...(await treeOf(join(dir, 'A'))).keys()].sort(), ['file', 'folder/']);
  assert.deepEqual(await treeOf(join(dir, 'B')), await treeOf(join(dir, 'A')));
});

test('exFAT write-mostly member: names that collide or are illegal there are refused up front, nothing written', async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const usb = await lab.mountExfatImage('USB Backup', { sizeMiB: 32 });
  const dir = await tempDir(t);
  const m = await createMirror({ members: [{ path: join(dir, 'ssd') }, { path: usb.mountPoint, writeMostly: true, label: 'USB' }] });
  t.after(() => m.stop());
  await m.writeFile('Photo.JPG', 'one');
  await rejectsWith(m.writeFile('photo.jpg', 'two'), 'EINVALIDPATH');
  await rejectsWith(m.writeFile('PHOTO.jpg/x', 'two'), 'EINVALIDPATH');
  await rejectsWith(m.writeFile('notes: today.txt', 'x'), 'EINVALIDPATH');
  await rejectsWith(m.writeFile('what?.txt', 'x'), 'EINVALIDPATH');
  await rejectsWith(m.writeFile('trailing.', 'x'), 'EINVALIDPATH');
  await rejectsWith(m.mkdir('a|b'), 'EINVALIDPATH');
  await rejectsWith(m.rename('Photo.JPG', 'bad<name>'), 'EINVALIDPATH');
  await m.drain();
  assert.deepEqual([...(await treeOf(join(dir, 'ssd'))).keys()], ['Photo.JPG']);
  assert.deepEqual([...(await treeOf(usb.mountPoint)).keys()], ['Photo.JPG']);
  assert.equal(text(await m.readFile('Photo.JPG')), 'one');
});

test('yank: the fast drive is lazily unmounted mid-workload; nothing acknowledged is lost', { timeout: 120_000 }, async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const ssd = await lab.mountExt4Image('fast ssd');
  const dir = await tempDir(t);
  const m: Mirror = await createMirror({ maxBehindWrites: 8, members: [{ path: ssd.mountPoint, label: 'SSD' }, { path: join(dir, 'usb'), writeMostly: true, label: 'USB', throttle: { latencyMs: 200 } }] });
  t.after(() => m.stop());
  const acked = new Map<string, string>();
  let stopWriting = false;
  const writer = (async () => {
    for (let i = 0; !stopWriting; i++) {
      const p = `w/${i % 40}.txt`, v = `v${i}`;
      try {
        await m.writeFile(p, v);
        acked.set(p, v);
      } catch (e) {
        assert.fail(`a write failed although the USB member was healthy: ${(e as Error).message}`);
      }
    }
  })();
  // Enough behind that reads after the yank must wait for the USB member. Writes are serial, so how far it falls
  // behind depends on how fast the SSD image is on this machine: ask for little, with 200 ms per USB operation.
  await nextEvent(m, 'behind', (e) => e.behindWrites >= 3);
  // Subscribe before the unmount: the writer's next leg on the vanished drive may fail before `umount` returns.
  const faulty = nextEvent(m, 'member-state', (e) => e.state === 'faulty');
  await lab.unmount(ssd, { lazy: true });
  await faulty;
  stopWriting = true;
  await writer;
  assert.equal(m.status().members[0]!.state, 'faulty');
  for (const [p, v] of acked) assert.equal(text(await m.readFile(p)), v, `${p} is the acknowledged version`);
  assert.ok(acked.size > 0);
});
