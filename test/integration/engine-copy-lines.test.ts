// A copy between drives holds its place in the source's line only while it reads there (core/resync/source-view.ts):
// a drive that stops answering while a copy writes it (a returning USB drive's catch-up, a conflict resolved onto it)
// must not hold up a live change on the fast drive. Each test holds the copy on the slow drive (FaultyFs.hang) and
// changes the very path it copies, its folder and its new name while it is held — the overlap itself, not a schedule
// that may or may not meet it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { fastAndUsb } from '../helpers/faulty-pair.ts';
import { nextEvent, text, treeOf } from '../helpers/engine.ts';

const stateOf = (m: Mirror, i: number) => m.status().members[i]!.state;
/** The held copy's path on the drive: the first file it creates under `root` (not the engine's own folder). */
const creating = (root: string, path: string) => (p: string, op: string) => op === 'open' && p === join(root, path);

test('a catch-up copy stuck on the returning drive holds up nothing on the fast drive (invariant 25)', async (t) => {
  const { usb, specs, m, usbId: id1 } = await fastAndUsb(t);
  for (const p of ['x/1', 'x/2', 'y']) await m.writeFile(p, `old ${p}`);
  await m.drain();
  await m.failMember(id1);
  await m.writeFile('x/1', 'new x/1');
  const held = usb.hang(creating(specs[1]!.path, 'x/1'));
  await m.addMember(specs[1] as never);
  await held; // the copy of x/1 is stuck on the returning drive now, its place in line there held

  // Each of these waits, before the fix, behind the stuck copy on m0 until the stall allowance fails m1.
  await m.rename('x', 'v'); // the folder of the path being copied
  await m.writeFile('x/1', 'again'); // the path itself, made anew (a second copy of it waits behind the first)
  await m.writeFile('v/1', 'newer');
  await m.remove('v/2');
  await m.rename('y', 'x/3');
  assert.equal(stateOf(m, 1), 'resyncing', 'the returning drive was not failed: nothing waited on it');
  assert.equal(usb.stuck, 1, 'the copy is still held: the changes above went through beside it');
  assert.equal(text(await m.readFile('v/1')), 'newer');

  usb.resume();
  await m.drain();
  assert.equal(stateOf(m, 1), 'in_sync');
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path), 'm1 equals m0 once caught up');
  assert.equal(text(await m.readFile('x/1')), 'again');
  assert.equal((await m.scrub()).mismatches, 0);
});

test('a big file copied while its source is renamed and replaced lands whole, then the catch-up follows the change', async (t) => {
  const { usb, specs, m, usbId: id1 } = await fastAndUsb(t);
  const big = (n: number) => Buffer.alloc(5 << 20, n); // several chunks: read from the open file as it is written
  await m.writeFile('film.mkv', big(1));
  await m.drain();
  await m.failMember(id1);
  await m.writeFile('film.mkv', big(2));
  const held = usb.hang(creating(specs[1]!.path, 'film.mkv'));
  await m.addMember(specs[1] as never);
  await held; // the source file is open, its first chunk read: the rest is read once the drive answers

  await m.rename('film.mkv', 'old.mkv'); // the file being read moves away on m0...
  await m.writeFile('film.mkv', big(3)); // ...and a new one takes its name
  assert.equal(usb.stuck, 1);
  usb.resume();
  await m.drain();
  assert.equal(stateOf(m, 1), 'in_sync');
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
  assert.equal((await m.readFile('old.mkv'))[0], 2);
  assert.equal((await m.readFile('film.mkv'))[0], 3);
  assert.equal((await m.scrub()).mismatches, 0, 'every copy matches the checksum of what it holds');
});

test('an adoption copy held up while its files move: first checksums only for files still there (no stale record)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const A = join(dir, 'A'), B = join(dir, 'B');
  for (const p of ['a/one.txt', 'a/two.txt', 'b/three.txt', 'four.txt']) {
    await mkdir(join(A, p, '..'), { recursive: true });
    await writeFile(join(A, p), `adopted ${p}`);
  }
  const usb = new FaultyFs(new NodeFs());
  const held = usb.hang(creating(B, 'a/one.txt'));
  const m = await createMirror({ members: [{ path: A, label: 'A' }, { path: B, label: 'B', writeMostly: true, fs: usb } as EngineMemberSpec], adoptFrom: 0 });
  t.after(() => m.stop().catch(() => {}));
  await held; // a/one.txt read on A (no checksum recorded there yet), its copy stuck on B

  await m.rename('a', 'c'); // the file being copied moves away on A
  await m.remove('four.txt');
  await m.rename('b/three.txt', 'b/3.txt');
  assert.equal(stateOf(m, 1), 'resyncing');
  usb.resume();
  await m.drain();
  assert.equal(stateOf(m, 1), 'in_sync');
  assert.deepEqual(await treeOf(B), await treeOf(A));
  const r = await m.scrub();
  // A checksum recorded on A for "a/one.txt" after it moved would be a record of a file A does not hold: "missing".
  assert.deepEqual(r.findings ?? [], [], 'no finding: no record left for a file moved away');
  assert.equal(r.mismatches, 0);
  assert.equal(text(await m.readFile('c/one.txt')), 'adopted a/one.txt');
});

test('a conflict resolved onto a drive that stops answering holds up no write to that path on the fast drive', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const usb = new FaultyFs(new NodeFs());
  const members = [{ path: SSD, label: 'SSD' }, { path: USB, label: 'USB', writeMostly: true, fs: usb } as EngineMemberSpec];
  const m = await createMirror({ members, outsideSettleMs: 50, intentClearMs: 20 });
  t.after(async () => { usb.resume(); await m.stop().catch(() => {}); });
  await m.writeFile('docs/notes.txt', 'notes');
  await m.drain();
  const seen = nextEvent(m, 'outside-change', (e) => e.path === 'docs/notes.txt', 20_000);
  await unlink(join(USB, 'docs', 'notes.txt')); // deleted on the backup drive behind the app's back: a conflict
  await seen;
  const held = usb.hang(creating(USB, 'docs/notes.txt'));
  const resolving = m.resolveConflict(m.conflicts()[0]!.id, 'keep-mirror'); // the mirror's version back onto the USB
  await held; // its copy is stuck on the USB drive, holding the path's place in line there

  await m.writeFile('docs/notes.txt', 'newer'); // acknowledged by the SSD alone, as any write
  assert.ok(['in_sync', 'behind'].includes(stateOf(m, 1)), `the USB drive was not failed (${stateOf(m, 1)}): nothing waited on it`);
  assert.equal(usb.stuck, 1, 'the copy is still held');
  usb.resume();
  await resolving;
  await m.drain();
  for (const root of [SSD, USB]) assert.equal(await readFile(join(root, 'docs', 'notes.txt'), 'utf8'), 'newer', `${root}: the later write is what both hold`);
  assert.equal(m.status().conflicts, 0);
});
