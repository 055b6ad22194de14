// Recently deleted and no silent overwrite, on real folders (issue 11 parts 3 and 4; invariants 10, 22, 27): renames
// refuse to replace unless asked, deleted and replaced files are kept under one id on every member, listed, restored as
// ordinary writes, deleted now (members away delete theirs when back), kept for the retention (an injected clock) and
// never purged for age while a member that may not have the delete is away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, assembleMirror, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { readSuperblock } from '../../core/journal/superblock.ts';
import { NodeFs } from '../../core/fs/node-fs.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { nextEvent, text, treeOf } from '../helpers/engine.ts';

const DAY = 86_400_000;
const trash = (root: string) => join(root, '.nas-mirror', 'trash');
/** The entries a member folder holds in its trash: ids with their record beside them. */
async function entriesOf(root: string): Promise<string[]> {
  const names = await readdir(trash(root)).catch(() => [] as string[]);
  return names.filter((n) => !n.endsWith('.json') && names.includes(`${n}.json`)).sort();
}
async function metaOf(root: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(trash(root), `${id}.json`), 'utf8'));
}
const memberId = (m: Mirror, label: string) => m.status().members.find((x) => x.label === label)!.id;

async function twoMembers(t: Parameters<typeof tempDir>[0], o: { clock?: () => number; deletedRetentionDays?: number } = {}) {
  const dir = await tempDir(t, 'nasm-deleted-', RAM_DIR);
  const A = join(dir, 'ssd'), B = join(dir, 'usb');
  const m = await createMirror({ members: [{ path: A, label: 'SSD' }, { path: B, label: 'USB', writeMostly: true }], intentClearMs: 5, ...o });
  t.after(() => m.stop().catch(() => {}));
  return { dir, A, B, m };
}

test('rename refuses to land on an existing name unless asked to replace; a folder is never replaced', async (t) => {
  const { A, B, m } = await twoMembers(t);
  await m.writeFile('pic_1.jpg', 'one');
  await m.writeFile('pic_2.jpg', 'two');
  await m.mkdir('album');
  const refused = await m.rename('pic_1.jpg', 'pic_2.jpg').then(() => null, (e: { code?: string; message?: string }) => e);
  assert.equal(refused?.code, 'EEXIST');
  assert.match(refused!.message!, /"pic_2.jpg" already exists/);
  assert.match(refused!.message!, /replace/, 'the message says how to replace');
  assert.equal(text(await m.readFile('pic_2.jpg')), 'two', 'nothing changed');
  assert.equal(text(await m.readFile('pic_1.jpg')), 'one');
  await assert.rejects(m.rename('pic_1.jpg', 'album', { replace: true }), { code: 'EEXIST' }, 'a file never replaces a folder');
  await assert.rejects(m.rename('album', 'pic_2.jpg', { replace: true }), { code: 'EEXIST' }, 'a folder never replaces a file');

  await m.rename('pic_1.jpg', 'pic_2.jpg', { replace: true });
  await m.drain();
  assert.equal(text(await m.readFile('pic_2.jpg')), 'one');
  const [entry] = await m.listDeleted();
  assert.deepEqual({ ...entry, id: undefined, deletedAt: undefined }, { id: undefined, deletedAt: undefined, path: 'pic_2.jpg', type: 'file', size: 3, reason: 'replaced', drives: ['SSD', 'USB'] });
  for (const root of [A, B]) {
    assert.deepEqual(await entriesOf(root), [entry!.id], `${root}: the replaced file is kept under the same id`);
    assert.equal(await readFile(join(trash(root), entry!.id), 'utf8'), 'two');
  }
  // Restoring it onto the name taken asks (EEXIST); "keep both" is a restore under another name.
  await assert.rejects(m.restoreDeleted(entry!.id), { code: 'EEXIST' });
  assert.equal(await m.restoreDeleted(entry!.id, { to: 'pic_2 (1).jpg' }), 'pic_2 (1).jpg');
  await m.drain();
  for (const root of [A, B]) assert.deepEqual([...(await treeOf(root)).keys()].sort(), ['album/', 'pic_2 (1).jpg', 'pic_2.jpg']);
  assert.equal(text(await m.readFile('pic_2 (1).jpg')), 'two');
  assert.deepEqual(await m.listDeleted(), [], 'a restored entry leaves the list');
});

test('a deleted file and folder are listed, restored on every member as ordinary writes, and leave the trash', async (t) => {
  const { A, B, m } = await twoMembers(t);
  await m.writeFile('docs/a.txt', 'alpha');
  await m.writeFile('photos/2024/b.jpg', 'bravo!');
  await m.writeFile('photos/2024/deep/c.jpg', 'c');
  await m.mkdir('photos/empty');
  await m.remove('docs/a.txt');
  await m.remove('photos');
  await m.drain();
  const list = await m.listDeleted();
  assert.deepEqual(list.map((e) => [e.path, e.type, e.size, e.reason]), [['photos', 'dir', 7, 'deleted'], ['docs/a.txt', 'file', 5, 'deleted']], 'newest first');
  for (const root of [A, B]) {
    assert.deepEqual(await entriesOf(root), list.map((e) => e.id).sort(), `${root} holds both entries under the same ids`);
    const meta = await metaOf(root, list[1]!.id);
    assert.equal(meta.path, 'docs/a.txt');
    assert.equal(typeof meta.hash, 'string', 'a file entry records its checksum');
  }
  assert.deepEqual([...(await treeOf(A)).keys()].sort(), ['docs/']);

  assert.equal(await m.restoreDeleted(list[0]!.id), 'photos');
  assert.equal(await m.restoreDeleted(list[1]!.id), 'docs/a.txt');
  await m.drain();
  const expected = ['docs/', 'docs/a.txt', 'photos/', 'photos/2024/', 'photos/2024/b.jpg', 'photos/2024/deep/', 'photos/2024/deep/c.jpg', 'photos/empty/'];
  for (const root of [A, B]) {
    assert.deepEqual([...(await treeOf(root)).keys()].sort(), expected, `${root} has the tree back`);
    assert.deepEqual(await entriesOf(root), [], `${root}: the entries left the trash`);
  }
  assert.equal(text(await m.readFile('photos/2024/b.jpg')), 'bravo!');
  assert.deepEqual(await m.listDeleted(), []);
  await assert.rejects(m.restoreDeleted(list[0]!.id), { code: 'ENOTFOUND' });
});

test('restore onto a path that exists asks: EEXIST, or with replace the file there goes to recently deleted itself', async (t) => {
  const { m } = await twoMembers(t);
  await m.writeFile('note.txt', 'old');
  await m.remove('note.txt');
  await m.writeFile('note.txt', 'new');
  const [old] = await m.listDeleted();
  const e = await m.restoreDeleted(old!.id).then(() => null, (err: { code?: string; message?: string; path?: string }) => err);
  assert.equal(e?.code, 'EEXIST');
  assert.equal(e?.path, 'note.txt');
  assert.match(e!.message!, /already exists/);
  assert.equal(text(await m.readFile('note.txt')), 'new', 'nothing changed');
  await m.restoreDeleted(old!.id, { replace: true });
  assert.equal(text(await m.readFile('note.txt')), 'old');
  const after = await m.listDeleted();
  assert.deepEqual(after.map((x) => [x.path, x.reason]), [['note.txt', 'replaced']]);
  await m.restoreDeleted(after[0]!.id, { to: 'note (1).txt' });
  assert.equal(text(await m.readFile('note (1).txt')), 'new', 'the version a restore replaced is recoverable too');
});

test('a delete made while a member was away: on its return it keeps its copy under the same id, and a restore reaches it', async (t) => {
  const { dir, A, B, m } = await twoMembers(t);
  await m.writeFile('keep/f.txt', 'the file');
  await m.drain();
  const usb = memberId(m, 'USB');
  await m.eject(usb);
  await m.remove('keep/f.txt');
  const [entry] = await m.listDeleted();
  assert.deepEqual(entry!.drives, ['SSD']);
  assert.deepEqual(await entriesOf(A), [entry!.id]);
  assert.deepEqual(await entriesOf(B), [], 'the USB drive was away: it still has the file');
  assert.ok(existsSync(join(B, 'keep', 'f.txt')));

  const back = nextEvent(m, 'member-state', (e) => e.memberId === usb && e.state === 'in_sync');
  await m.addMember({ path: B });
  await back;
  await m.drain();
  assert.ok(!existsSync(join(B, 'keep', 'f.txt')), 'the delete reached it (no resurrection)');
  assert.deepEqual(await entriesOf(B), [entry!.id], 'its copy is kept under the same id');
  assert.deepEqual((await m.listDeleted()).map((e) => e.drives), [['SSD', 'USB']], 'listed once, on both drives');
  assert.equal((await metaOf(B, entry!.id)).path, 'keep/f.txt');

  await m.restoreDeleted(entry!.id);
  await m.drain();
  for (const root of [A, B]) {
    assert.equal(await readFile(join(root, 'keep', 'f.txt'), 'utf8'), 'the file', `${root} has it back`);
    assert.deepEqual(await entriesOf(root), []);
  }
  void dir;
});

test('many deletes made while a member was away: each of its copies is kept under the same id as on the other member', async (t) => {
  // The catch-up applies the deletes in parallel lanes, each looking up the source's entry for its path: lookups that
  // ran alongside each other skipped records another had not read yet, and a late delete got a new id and time (seen
  // as a flaky "the oldest went first" in engine-space). Many paths at once force the overlap.
  const dir = await tempDir(t, 'nasm-deleted-', RAM_DIR);
  const A = join(dir, 'ssd'), B = join(dir, 'usb');
  // The SSD answers each call after 0-3 ms, so lookups of its records take long enough to overlap.
  const m = await createMirror({ members: [{ path: A, label: 'SSD', fs: new FaultyFs(new NodeFs(), { jitterMs: 3 }) } as EngineMemberSpec, { path: B, label: 'USB', writeMostly: true }], intentClearMs: 5 });
  t.after(() => m.stop().catch(() => {}));
  const paths = Array.from({ length: 40 }, (_, i) => `d${i % 5}/f${i}.txt`);
  for (const p of paths) await m.writeFile(p, p);
  await m.drain();
  const usb = memberId(m, 'USB');
  await m.failMember(usb);
  for (const p of paths) await m.remove(p);
  const ids = await entriesOf(A);
  assert.equal(ids.length, paths.length);
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usb && e.state === 'in_sync');
  await m.addMember({ path: B });
  await back;
  await m.drain();
  assert.deepEqual(await entriesOf(B), ids, 'every late delete kept under the id it has on the SSD');
  assert.deepEqual((await m.listDeleted()).map((e) => e.drives.join('+')), paths.map(() => 'SSD+USB'), 'each listed once, on both drives');
});

test('delete now while a member is away: recorded in the superblock, and the member deletes its copy when it is back', async (t) => {
  const { A, B, m } = await twoMembers(t);
  await m.writeFile('a.txt', 'a');
  await m.writeFile('b.txt', 'b');
  await m.remove('a.txt');
  await m.remove('b.txt');
  await m.drain();
  const [b, a] = await m.listDeleted();
  assert.deepEqual(await entriesOf(B), [a!.id, b!.id].sort());
  await m.eject(memberId(m, 'USB'));
  await m.purgeDeleted(a!.id);
  assert.deepEqual(await entriesOf(A), [b!.id], 'gone at once from the member present');
  assert.deepEqual(await entriesOf(B), [a!.id, b!.id].sort(), 'the member away still has both');
  await m.stop();

  // Another start, with only the SSD: the record is in the superblock.
  const sb = await readSuperblock(new NodeFs(), A);
  assert.deepEqual(sb?.trashPurged?.ids, [a!.id]);
  const again = await assembleMirror({ members: [{ path: A }] });
  t.after(() => again.stop().catch(() => {}));
  const usb = memberId(again, 'USB');
  const back = nextEvent(again, 'member-state', (e) => e.memberId === usb && e.state === 'in_sync');
  await again.addMember({ path: B });
  await back;
  await again.setDeletedRetention(30); // a sweep, as the hourly one and every membership change run
  assert.deepEqual(await entriesOf(B), [b!.id], 'back, it deleted its copy of what was deleted for good');
  assert.equal((await readSuperblock(new NodeFs(), A))?.trashPurged, undefined, 'with everyone done, the record goes');
  assert.deepEqual((await again.listDeleted()).map((e) => e.id), [b!.id]);

  await again.purgeDeleted('all');
  for (const root of [A, B]) assert.deepEqual(await entriesOf(root), []);
});

test('retention: kept while younger than the setting, deleted after it; never for age while a member is away', async (t) => {
  let now = Date.parse('2025-01-01T00:00:00Z');
  const { A, B, m } = await twoMembers(t, { clock: () => now });
  assert.equal(m.status().deletedRetentionDays, 30, 'default: 30 days');
  await m.writeFile('old.txt', 'o');
  await m.remove('old.txt');
  await m.drain();
  now += 29 * DAY;
  await m.setDeletedRetention(30);
  assert.equal((await m.listDeleted()).length, 1, '29 days on: still there');
  now += 2 * DAY;
  await m.setDeletedRetention(30);
  assert.deepEqual(await m.listDeleted(), [], '31 days on: deleted for good');
  for (const root of [A, B]) assert.deepEqual(await entriesOf(root), []);

  // With the USB drive away, an old entry stays: nobody knows it has the delete (invariant 10).
  await m.writeFile('g.txt', 'g');
  await m.remove('g.txt');
  await m.drain();
  const usb = memberId(m, 'USB');
  await m.eject(usb);
  await m.writeFile('h.txt', 'h');
  await m.remove('h.txt'); // the USB drive never had this delete
  now += 40 * DAY;
  await m.setDeletedRetention(30);
  assert.deepEqual((await m.listDeleted()).map((e) => e.path).sort(), ['g.txt', 'h.txt'], 'kept while a member is away');
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usb && e.state === 'in_sync');
  await m.addMember({ path: B });
  await back;
  await m.drain();
  await m.setDeletedRetention(30);
  assert.deepEqual(await m.listDeleted(), [], 'every member has them now: past retention, they go');
  for (const root of [A, B]) assert.deepEqual(await entriesOf(root), []);
  assert.ok(!existsSync(join(B, 'h.txt')), 'and the delete reached the returning member');

  // A shorter setting applies at once; 0 keeps an entry only until every member has the delete.
  await m.writeFile('z.txt', 'z');
  await m.remove('z.txt');
  await m.drain();
  now += DAY;
  await m.setDeletedRetention(2);
  assert.equal((await m.listDeleted()).length, 1);
  await m.setDeletedRetention(0);
  assert.deepEqual(await m.listDeleted(), []);
});

test('the retention is recorded in every superblock: another start reads it; bad values are refused', async (t) => {
  const { A, B, m } = await twoMembers(t);
  await m.setDeletedRetention(7);
  await assert.rejects(m.setDeletedRetention(-1), { code: 'EINVALIDOPTION' });
  await assert.rejects(m.setDeletedRetention(1.5), { code: 'EINVALIDOPTION' });
  await m.stop();
  for (const root of [A, B]) assert.equal((await readSuperblock(new NodeFs(), root))?.deletedRetentionDays, 7);
  const again = await assembleMirror({ members: [{ path: A }, { path: B }] });
  assert.equal(again.status().deletedRetentionDays, 7);
  await again.stop();
  const third = await assembleMirror({ members: [{ path: A }, { path: B }], deletedRetentionDays: 14 });
  t.after(() => third.stop().catch(() => {}));
  assert.equal(third.status().deletedRetentionDays, 14, 'an explicit option wins');
  const dir = await tempDir(t);
  await assert.rejects(createMirror({ members: [{ path: join(dir, 'x') }, { path: join(dir, 'y') }], deletedRetentionDays: -3 }), { code: 'EINVALIDOPTION' });
  assert.ok(!existsSync(join(dir, 'x')), 'a refused create changes nothing');
});

test('at open, a record whose entry never arrived goes, and an entry without a record gets one (never lost)', async (t) => {
  const { A, B, m } = await twoMembers(t);
  await m.writeFile('x.txt', 'x');
  await m.stop();
  await mkdir(trash(A), { recursive: true });
  await writeFile(join(trash(A), '1700000000000-deadbeef.json'), JSON.stringify({ format: 1, id: '1700000000000-deadbeef', path: 'gone.txt' }));
  await writeFile(join(trash(A), '1700000000001-cafe0001'), 'a trash entry from before records existed');
  const again = await assembleMirror({ members: [{ path: A }, { path: B }] });
  t.after(() => again.stop().catch(() => {}));
  assert.ok(!existsSync(join(trash(A), '1700000000000-deadbeef.json')));
  const list = await again.listDeleted();
  assert.deepEqual(list.map((e) => [e.id, e.path, e.type]), [['1700000000001-cafe0001', 'Recovered/1700000000001-cafe0001', 'file']]);
  await again.restoreDeleted(list[0]!.id, { to: 'recovered.txt' });
  assert.equal(text(await again.readFile('recovered.txt')), 'a trash entry from before records existed');
});

test('a late delete of a name that is one file with its own trash entry (crash between link and rename) takes the name away', async (t) => {
  // keepReplaced links the replaced file into the trash, then renames over it; a kill between the two leaves the name
  // and the entry as two links to one file. A catch-up then deleting the name under that same entry id renamed one
  // link onto the other, which rename(2) does as nothing: the member kept the file (the crash test's extra file).
  const { link } = await import('node:fs/promises');
  const { quarantine, newTrashId } = await import('../../core/mirror/trash.ts');
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ members: [{ path: A, label: 'SSD' }, { path: B, label: 'USB' }], watchOutside: false });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('d/p.txt', 'the old version');
  await m.drain();
  const usb = (m as unknown as MirrorImpl).members[1]!;
  const id = newTrashId(Date.now());
  await mkdir(join(B, '.nas-mirror', 'trash'), { recursive: true });
  await link(join(B, 'd', 'p.txt'), join(B, '.nas-mirror', 'trash', id)); // the state a kill between link and rename leaves
  await quarantine(usb, 'd/p.txt', { id, type: 'file', size: 15, reason: 'replaced', deletedAt: Date.now() });
  assert.equal(existsSync(join(B, 'd', 'p.txt')), false, 'the name is gone');
  assert.equal(await readFile(join(B, '.nas-mirror', 'trash', id), 'utf8'), 'the old version', 'the entry keeps the file');
});

test('a restore (or a purge) waits for what the write-mostly drive owes: the entry does not come back on it later', async (t) => {
  const dir = await tempDir(t, 'nasm-deleted-owed-', RAM_DIR);
  const A = join(dir, 'ssd'), B = join(dir, 'usb');
  const fastFs = new FaultyFs(new NodeFs()), usbFs = new FaultyFs(new NodeFs());
  const m = await createMirror({ members: [{ path: A, label: 'SSD', fs: fastFs } as EngineMemberSpec, { path: B, label: 'USB', writeMostly: true, fs: usbFs } as EngineMemberSpec], intentClearMs: 5 });
  t.after(() => { usbFs.resume(); return m.stop().catch(() => {}); });
  await m.writeFile('note.txt', 'old');
  await m.drain();
  // The USB drive's delete is held at its first step (the entry's record): it owes it while the restore runs.
  usbFs.hang((path, op) => path.includes('/trash/') && op !== 'remove');
  await m.remove('note.txt');
  await m.writeFile('note.txt', 'new');
  const [old] = await m.listDeleted();
  // The held delete is let go once the SSD's copy of the entry is deleted for good: by then, before the rule, the
  // USB drive's purge had run too (finding nothing), and the delete landing after it made the entry again there.
  let released = false;
  fastFs.options.failPath = (path, op) => {
    if (!released && op === 'remove' && path.includes(old!.id)) { released = true; usbFs.resume(); }
    return false;
  };
  await m.restoreDeleted(old!.id, { replace: true });
  await m.drain();
  assert.equal(released, true);
  assert.deepEqual((await entriesOf(B)).filter((id) => id === old!.id), [], 'the restored entry is not on the USB drive');
  assert.deepEqual((await m.listDeleted()).map((x) => [x.path, x.reason]), [['note.txt', 'replaced']]);
  assert.equal(text(await m.readFile('note.txt')), 'old');
});
