// Files changed behind the app's back (issue 11 part 2, DESIGN §8a, invariants 12, 27): a change on an in-sync fast
// drive is taken as a write, a change on a write-mostly drive is a conflict with both versions kept; rot and outside
// edits are told apart by size, time and inode; scrub repair never destroys a version it did not write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMirror, assembleMirror, NodeFs, type Mirror, type MirrorEvent } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { nextEvent, recordEvents, rot, text } from '../helpers/engine.ts';

/** An SSD member and a write-mostly USB member; `watch: false` leaves only reconcile() and scrub to find changes. */
async function twoDrives(t: Parameters<typeof tempDir>[0], o: { watch?: boolean } = {}) {
  const dir = await tempDir(t);
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const members = [{ path: SSD, label: 'SSD' }, { path: USB, label: 'USB', writeMostly: true }];
  const m = await createMirror({ members, outsideSettleMs: 50, intentClearMs: 20, watchOutside: o.watch ?? true });
  t.after(() => m.stop().catch(() => {}));
  const [ssdId, usbId] = m.status().members.map((x) => x.id) as [string, string];
  return { dir, SSD, USB, members, m, ssdId, usbId };
}

const outsideChange = (m: Mirror, path: string) => nextEvent(m, 'outside-change', (e) => e.path === path, 20_000);

let edits = 0;
/** Writes a file on a member behind the app's back in one step (written beside the member folder, renamed in), as a
 * file manager's safe save does: the watcher never sees a half-written file, however long a loaded machine takes
 * between a truncate and a write (the 50 ms settle time of these tests is shorter than that can be). */
async function putOutside(root: string, path: string, content: string): Promise<void> {
  const tmp = join(root, '..', `.outside-edit-${++edits}`);
  await writeFile(tmp, content);
  await rename(tmp, join(root, path));
}

/** Every file in a member's trash (Recently deleted), as content, whatever its entry is called. */
async function trashed(root: string): Promise<string[]> {
  const dir = join(root, '.nas-mirror', 'trash');
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names) {
    if (n.endsWith('.json')) continue;
    const p = join(dir, n);
    if ((await stat(p)).isFile()) out.push(await readFile(p, 'utf8'));
  }
  return out.sort();
}

test('a file copied straight into the fast drive reaches the write-mostly drive and shows up as taken', async (t) => {
  const { SSD, USB, m, ssdId } = await twoDrives(t);
  await m.writeFile('a.txt', 'written through the app');
  await m.drain();
  const taken = outsideChange(m, 'photos/new.jpg');
  await mkdir(join(SSD, 'photos'));
  await putOutside(SSD, join('photos', 'new.jpg'), 'copied with a file manager');
  const inode = (await stat(join(SSD, 'photos', 'new.jpg'))).ino;
  const e = await taken;
  assert.deepEqual([e.memberId, e.change, e.outcome], [ssdId, 'added', 'taken']);
  await m.drain();
  assert.equal(await readFile(join(USB, 'photos', 'new.jpg'), 'utf8'), 'copied with a file manager');
  assert.equal((await stat(join(SSD, 'photos', 'new.jpg'))).ino, inode, 'the copy on the fast drive was left as it is, not rewritten');
  assert.equal(text(await m.readFile('photos/new.jpg')), 'copied with a file manager');
  // An edit of it on the fast drive is taken too.
  const edited = outsideChange(m, 'photos/new.jpg');
  await putOutside(SSD, join('photos', 'new.jpg'), 'edited in place, longer than before');
  assert.equal((await edited).change, 'changed');
  await m.drain();
  assert.equal(await readFile(join(USB, 'photos', 'new.jpg'), 'utf8'), 'edited in place, longer than before');
  assert.equal(m.status().conflicts, 0);
  assert.deepEqual((await m.scrub()).findings, [], 'scrub finds the drives equal afterwards');
});

test('an edit on the write-mostly drive becomes a conflict: both versions kept, shown, and resolved without loss', async (t) => {
  const { SSD, USB, m, ssdId, usbId } = await twoDrives(t);
  await m.writeFile('docs/report.txt', 'the mirror version');
  await m.writeFile('docs/plan.txt', 'plan A');
  await m.writeFile('docs/notes.txt', 'notes');
  await m.drain();
  const seen = outsideChange(m, 'docs/report.txt');
  await putOutside(USB, join('docs', 'report.txt'), 'edited on the backup drive');
  const e = await seen;
  assert.deepEqual([e.memberId, e.change, e.outcome], [usbId, 'changed', 'conflict']);
  assert.equal(m.status().conflicts, 1);
  const [c] = m.conflicts();
  assert.equal(c!.path, 'docs/report.txt');
  assert.match(c!.reason, /USB, a write-mostly/);
  const bySsd = c!.versions.find((v) => v.memberId === ssdId)!, byUsb = c!.versions.find((v) => v.memberId === usbId)!;
  assert.deepEqual([bySsd.mirror, bySsd.type, bySsd.size], [true, 'file', 18]);
  assert.deepEqual([byUsb.mirror, byUsb.type, byUsb.size], [false, 'file', 26]);
  assert.ok(byUsb.mtimeMs! > 0);
  // Nothing was overwritten: each drive still holds its own version, and the mirror serves its own.
  assert.equal(await readFile(join(SSD, 'docs', 'report.txt'), 'utf8'), 'the mirror version');
  assert.equal(await readFile(join(USB, 'docs', 'report.txt'), 'utf8'), 'edited on the backup drive');
  assert.equal(text(await m.readFile('docs/report.txt')), 'the mirror version');

  // Keep both: the drive's version under a new name on every drive, the mirror's at the path.
  await m.resolveConflict(c!.id, 'keep-both');
  await m.drain();
  assert.equal(m.status().conflicts, 0);
  const day = new Date().toISOString().slice(0, 10);
  for (const root of [SSD, USB]) {
    assert.equal(await readFile(join(root, 'docs', 'report.txt'), 'utf8'), 'the mirror version');
    assert.equal(await readFile(join(root, 'docs', `report (USB ${day}).txt`), 'utf8'), 'edited on the backup drive');
  }
  assert.ok((await trashed(USB)).includes('edited on the backup drive'), 'the replaced version is in the drive\'s trash too');

  // Take the drive's version: it becomes the mirror's; the mirror's old version is kept in the fast drive's trash.
  const again = outsideChange(m, 'docs/plan.txt');
  await putOutside(USB, join('docs', 'plan.txt'), 'plan B, from the backup drive');
  await again;
  await m.resolveConflict(m.conflicts()[0]!.id, 'take-drive');
  await m.drain();
  for (const root of [SSD, USB]) assert.equal(await readFile(join(root, 'docs', 'plan.txt'), 'utf8'), 'plan B, from the backup drive');
  assert.ok((await trashed(SSD)).includes('plan A'));

  // Keep the mirror's version of a file deleted on the drive: it is put back there.
  const gone = outsideChange(m, 'docs/notes.txt');
  await unlink(join(USB, 'docs', 'notes.txt'));
  assert.deepEqual([(await gone).change, m.conflicts()[0]!.versions.find((v) => v.memberId === usbId)!.type], ['deleted', null]);
  await m.resolveConflict(m.conflicts()[0]!.id, 'keep-mirror');
  assert.equal(await readFile(join(USB, 'docs', 'notes.txt'), 'utf8'), 'notes');

  // A file added only on the drive, the mirror's version kept: it leaves the drive's folder for its trash, not away.
  const extra = outsideChange(m, 'stray.txt');
  await putOutside(USB, 'stray.txt', 'only on the backup drive');
  assert.equal((await extra).outcome, 'conflict');
  await m.resolveConflict(m.conflicts()[0]!.id, 'keep-mirror');
  await assert.rejects(stat(join(USB, 'stray.txt')));
  assert.ok((await trashed(USB)).includes('only on the backup drive'));
  assert.equal(m.status().conflicts, 0);
});

test('a conflict is recorded durably: a restart shows it with the same id until it is resolved', async (t) => {
  const { USB, members, m } = await twoDrives(t);
  await m.writeFile('x.txt', 'mirror');
  await m.drain();
  const seen = outsideChange(m, 'x.txt');
  await putOutside(USB, 'x.txt', 'edited on USB');
  await seen;
  const id = m.conflicts()[0]!.id;
  await m.stop();
  const again = await assembleMirror({ members, outsideSettleMs: 50 });
  t.after(() => again.stop().catch(() => {}));
  await again.reconcile();
  assert.deepEqual(again.conflicts().map((c) => [c.id, c.path]), [[id, 'x.txt']]);
  assert.equal(again.status().conflicts, 1);
});

test('a delete made directly on the fast drive is taken as a delete (the backup drive keeps it in its trash)', async (t) => {
  const { SSD, USB, m, ssdId } = await twoDrives(t);
  await m.writeFile('old.txt', 'old');
  await m.writeFile('album/1.jpg', 'one');
  await m.writeFile('album/2.jpg', 'two');
  await m.drain();
  const deleted = outsideChange(m, 'old.txt');
  await unlink(join(SSD, 'old.txt'));
  const e = await deleted;
  assert.deepEqual([e.memberId, e.change, e.outcome], [ssdId, 'deleted', 'taken']);
  await m.drain();
  await assert.rejects(stat(join(USB, 'old.txt')));
  await assert.rejects(m.stat('old.txt'), { code: 'ENOTFOUND' });
  // A whole folder deleted on the fast drive is one delete.
  const folder = outsideChange(m, 'album');
  await rm(join(SSD, 'album'), { recursive: true });
  assert.equal((await folder).change, 'deleted');
  await m.drain();
  await assert.rejects(stat(join(USB, 'album')));
  assert.equal(m.status().conflicts, 0);
  const trash = join(USB, '.nas-mirror', 'trash');
  const kept = await readdir(trash);
  assert.ok(kept.length >= 2, 'both deletes are recoverable on the backup drive');
});

test('an unmounted fast drive (its folder emptied, superblock gone) never deletes anything on the others (invariant 21)', async (t) => {
  const { SSD, USB, m } = await twoDrives(t);
  await m.writeFile('keep.txt', 'keep');
  await m.drain();
  const events = recordEvents(m);
  await rm(SSD, { recursive: true });
  await mkdir(SSD); // an empty mount point
  await m.reconcile().catch(() => {});
  assert.equal(await readFile(join(USB, 'keep.txt'), 'utf8'), 'keep');
  assert.deepEqual(events.filter((e) => e.type === 'outside-change' && e.outcome === 'taken'), []);
});

test('damage and an outside edit are told apart by size and time: rot is healed, an edit is never written over', async (t) => {
  const { SSD, USB, m, usbId } = await twoDrives(t, { watch: false });
  await m.writeFile('a.txt', 'alpha content');
  await m.writeFile('b.txt', 'bravo content');
  await m.drain();
  await rot(join(USB, 'a.txt'));
  await putOutside(USB, 'b.txt', 'bravo, edited on the drive');
  const check = await m.scrub();
  const byPath = Object.fromEntries(check.findings!.map((f) => [f.path, f]));
  assert.deepEqual([byPath['a.txt']!.kind, byPath['a.txt']!.action, byPath['a.txt']!.memberId], ['damaged', 'heal', usbId]);
  assert.deepEqual([byPath['b.txt']!.kind, byPath['b.txt']!.action], ['changed-outside', 'conflict']);
  assert.equal(check.mismatches, 2);
  assert.equal(m.status().openFindings, 2, 'the header sees open findings');
  const repair = await m.scrub({ repair: true });
  assert.equal(repair.repaired, 1);
  assert.equal(await readFile(join(USB, 'a.txt'), 'utf8'), 'alpha content', 'rot healed');
  assert.equal(await readFile(join(USB, 'b.txt'), 'utf8'), 'bravo, edited on the drive', 'the edit is untouched');
  assert.deepEqual(m.conflicts().map((c) => c.path), ['b.txt']);
  assert.equal(m.status().openFindings, 0);
  // The same on the fast drive: its rot healed from the backup; a read that meets it heals it too.
  await rot(join(SSD, 'a.txt'));
  assert.equal(text(await m.readFile('a.txt')), 'alpha content');
  assert.equal(await readFile(join(SSD, 'a.txt'), 'utf8'), 'alpha content');
});

test('a read of a copy edited on the fast drive serves the edit and never heals it away', async (t) => {
  const { SSD, USB, m } = await twoDrives(t, { watch: false });
  await m.writeFile('c.txt', 'original');
  await m.drain();
  await putOutside(SSD, 'c.txt', 'edited directly');
  assert.equal(text(await m.readFile('c.txt')), 'edited directly');
  assert.equal(await readFile(join(SSD, 'c.txt'), 'utf8'), 'edited directly');
  await m.reconcile();
  await m.drain();
  assert.equal(await readFile(join(USB, 'c.txt'), 'utf8'), 'edited directly', 'taken as a write');
});

test('scrub repair never destroys a version it did not write (invariant 27)', async (t) => {
  const { SSD, USB, m } = await twoDrives(t, { watch: false });
  for (let i = 0; i < 10; i++) await m.writeFile(`docs/${i}.txt`, `document ${i}`);
  await m.drain();
  await putOutside(USB, join('docs', '3.txt'), 'edited on the backup drive');
  await unlink(join(USB, 'docs', '4.txt'));
  await putOutside(SSD, join('docs', '5.txt'), 'edited on the fast drive');
  await putOutside(USB, join('docs', 'stray.txt'), 'not in the mirror');
  await rot(join(USB, 'docs', '6.txt'));
  const check = await m.scrub();
  const plan = check.findings!.map((f) => `${f.path} ${f.drive} ${f.kind} ${f.action}`).sort();
  assert.deepEqual(plan, [
    'docs/3.txt USB changed-outside conflict',
    'docs/4.txt USB missing conflict',
    'docs/5.txt SSD changed-outside take',
    'docs/6.txt USB damaged heal',
    'docs/stray.txt USB extra conflict',
  ]);
  for (const f of check.findings!) assert.match(f.detail, /repair/);
  // Repair only what the user confirmed: the take and the heal; the rest stays as it is.
  const repair = await m.scrub({ repair: true, paths: ['docs/5.txt', 'docs/6.txt'] });
  assert.equal(repair.repaired, 2);
  await m.drain();
  assert.equal(await readFile(join(USB, 'docs', '5.txt'), 'utf8'), 'edited on the fast drive');
  assert.equal(await readFile(join(USB, 'docs', '6.txt'), 'utf8'), 'document 6');
  assert.equal(await readFile(join(USB, 'docs', '3.txt'), 'utf8'), 'edited on the backup drive');
  assert.equal(await readFile(join(USB, 'docs', 'stray.txt'), 'utf8'), 'not in the mirror');
  assert.deepEqual(m.conflicts(), []);
  // A full repair records the rest as conflicts and still changes nothing on the drives.
  const full = await m.scrub({ repair: true });
  assert.equal(full.repaired, 0);
  assert.deepEqual(m.conflicts().map((c) => c.path).sort(), ['docs/3.txt', 'docs/4.txt', 'docs/stray.txt']);
  assert.equal(await readFile(join(USB, 'docs', '3.txt'), 'utf8'), 'edited on the backup drive');
  assert.equal(await readFile(join(USB, 'docs', 'stray.txt'), 'utf8'), 'not in the mirror');
  await assert.rejects(stat(join(USB, 'docs', '4.txt')));
});

test('the engine\'s own writes are never taken for outside changes, behind legs and renames included', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ outsideSettleMs: 20, intentClearMs: 20, members: [
    { path: join(dir, 'ssd'), label: 'SSD' }, { path: join(dir, 'usb'), label: 'USB', writeMostly: true, throttle: { latencyMs: 3 } }] });
  t.after(() => m.stop().catch(() => {}));
  const events: MirrorEvent[] = recordEvents(m);
  for (let i = 0; i < 60; i++) {
    await m.writeFile(`w/${i % 7}/f${i}.txt`, `content ${i}`.repeat(i + 1));
    if (i % 5 === 0) await m.mkdir(`w/empty${i}`);
    if (i % 9 === 0) await m.rename(`w/${i % 7}/f${i}.txt`, `w/moved${i}.txt`);
    if (i % 11 === 0) await m.remove(`w/${i % 7}`);
  }
  await m.drain();
  await m.reconcile();
  assert.deepEqual(events.filter((e) => e.type === 'outside-change'), []);
  assert.equal(m.status().conflicts, 0);
  assert.deepEqual((await m.scrub()).findings, []);
});

test('what changed on the drives while the mirror was closed is found at open', async (t) => {
  const { SSD, USB, members, m } = await twoDrives(t);
  await m.writeFile('kept.txt', 'v1');
  await m.writeFile('gone.txt', 'bye');
  await m.stop();
  await putOutside(SSD, 'kept.txt', 'v2, edited while the app was closed');
  await putOutside(SSD, 'added.txt', 'added while closed');
  await unlink(join(SSD, 'gone.txt'));
  const again = await assembleMirror({ members, outsideSettleMs: 50 });
  t.after(() => again.stop().catch(() => {}));
  await again.reconcile();
  await again.drain();
  assert.equal(await readFile(join(USB, 'kept.txt'), 'utf8'), 'v2, edited while the app was closed');
  assert.equal(await readFile(join(USB, 'added.txt'), 'utf8'), 'added while closed');
  await assert.rejects(stat(join(USB, 'gone.txt')));
  assert.equal(again.status().conflicts, 0);
});

test('resolving a conflict settles what scrub found at that path: nothing stays open for the header', async (t) => {
  const { USB, m } = await twoDrives(t, { watch: false });
  await m.writeFile('p.txt', 'mirror');
  await m.drain();
  await putOutside(USB, 'p.txt', 'edited on USB');
  await m.scrub();
  assert.deepEqual([m.status().openFindings, m.status().conflicts], [1, 0]);
  await m.reconcile();
  assert.equal(m.status().conflicts, 1);
  await m.resolveConflict(m.conflicts()[0]!.id, 'keep-mirror');
  assert.deepEqual([m.status().openFindings, m.status().conflicts], [0, 0]);
  assert.equal(await readFile(join(USB, 'p.txt'), 'utf8'), 'mirror');
  assert.ok((await trashed(USB)).includes('edited on USB'));
});

test('a folder moved into the fast drive whole: everything in it reaches the backup drive (the watcher sees only the folder)', async (t) => {
  const { dir, SSD, USB, m } = await twoDrives(t);
  const staged = join(dir, 'camera-import');
  await mkdir(join(staged, 'day1', 'raw'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(staged, 'day1', i % 2 ? 'raw' : '', `img${i}.jpg`), `image ${i}`);
  const seen = outsideChange(m, 'camera-import');
  await rename(staged, join(SSD, 'camera-import'));
  assert.deepEqual([(await seen).change, m.status().conflicts], ['added', 0]);
  await m.reconcile(); // the looks the folder's taking queued
  await m.drain();
  for (let i = 0; i < 20; i++) {
    assert.equal(await readFile(join(USB, 'camera-import', 'day1', i % 2 ? 'raw' : '', `img${i}.jpg`), 'utf8'), `image ${i}`);
  }
  assert.deepEqual((await m.scrub()).findings, []);
});

test('a write through the app over a version changed on the backup drive keeps that version in its trash', async (t) => {
  const { USB, m } = await twoDrives(t);
  await m.writeFile('w.txt', 'v1');
  await m.drain();
  const seen = outsideChange(m, 'w.txt');
  await putOutside(USB, 'w.txt', 'edited on USB, not yet resolved');
  await seen;
  await m.writeFile('w.txt', 'v2 through the app');
  await m.drain();
  assert.equal(await readFile(join(USB, 'w.txt'), 'utf8'), 'v2 through the app');
  assert.ok((await trashed(USB)).includes('edited on USB, not yet resolved'), 'the edit is recoverable');
  await m.reconcile();
  assert.equal(m.status().conflicts, 0, 'the drives agree again: the conflict went away');
});

test('a file that became a folder on the fast drive (and back) is taken: the old kind goes to the trash, the new one comes', async (t) => {
  const { SSD, USB, m } = await twoDrives(t, { watch: false });
  await m.writeFile('notes', 'a file first');
  await m.mkdir('pics');
  await m.writeFile('pics/1.jpg', 'one');
  await m.drain();
  await unlink(join(SSD, 'notes'));
  await mkdir(join(SSD, 'notes'));
  await putOutside(SSD, join('notes', 'today.txt'), 'now a folder');
  await rm(join(SSD, 'pics'), { recursive: true });
  await putOutside(SSD, 'pics', 'now a file');
  await m.reconcile();
  await m.drain();
  assert.equal(await readFile(join(USB, 'notes', 'today.txt'), 'utf8'), 'now a folder');
  assert.equal(await readFile(join(USB, 'pics'), 'utf8'), 'now a file');
  assert.equal(text(await m.readFile('notes/today.txt')), 'now a folder');
  assert.equal(m.status().conflicts, 0);
  assert.ok((await trashed(USB)).includes('a file first'), 'the old file is recoverable on the backup drive');
});

test('a look at a path held up on the write-mostly drive never holds up a write to it on the fast drive', { timeout: 90_000 }, async (t) => {
  // Forces the overlap: an outside edit on the SSD is looked at on both drives; the USB drive stops answering in the
  // middle of that look (a stat that hangs). A write through the app to the same path must still be acknowledged by
  // the SSD alone (a write-mostly drive never slows a fast one) — not after the stall allowance has failed the USB.
  const dir = await tempDir(t);
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const usb = new FaultyFs(new NodeFs());
  const members = [{ path: SSD, label: 'SSD' }, { path: USB, label: 'USB', writeMostly: true, fs: usb }];
  const m = await createMirror({ members, outsideSettleMs: 50, intentClearMs: 20, memberTimeoutMs: 0 });
  t.after(async () => { usb.resume(); await m.stop().catch(() => {}); });
  await m.writeFile('a.txt', 'v1');
  await m.drain();
  const lookHeld = usb.hang((p, op) => op === 'stat' && p === join(USB, 'a.txt'));
  await putOutside(SSD, 'a.txt', 'edited on the SSD');
  await lookHeld;
  const acked = await Promise.race([m.writeFile('a.txt', 'v2').then(() => 'acknowledged'), sleep(20_000, 'still waiting', { ref: false })]);
  assert.equal(acked, 'acknowledged', 'the write waited for the hung USB drive');
  assert.equal(usb.stuck > 0, true, 'the look is still held up on the USB drive');
  assert.equal(await readFile(join(SSD, 'a.txt'), 'utf8'), 'v2');
  usb.resume();
  await m.drain();
  await m.reconcile();
  await m.drain();
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
  assert.equal(await readFile(join(USB, 'a.txt'), 'utf8'), 'v2', 'the later write through the app is what both drives hold');
});

test('a look overlapped by the engine\'s own writes, renames and removes still finds what was deleted outside, and only that', { timeout: 90_000 }, async (t) => {
  // Forces the overlap: the look's walk of the SSD is held at one folder while the app rewrites, renames, removes and
  // adds files the walk has met already. The walk ticks off the recorded paths it meets in the manifest
  // (compact-store.ts marks); what the app changes meanwhile must neither hide the delete made outside nor be taken
  // for an outside change itself.
  const dir = await tempDir(t);
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const ssd = new FaultyFs(new NodeFs());
  const members = [{ path: SSD, label: 'SSD', fs: ssd }, { path: USB, label: 'USB', writeMostly: true }];
  const m = await createMirror({ members, outsideSettleMs: 50, intentClearMs: 20, memberTimeoutMs: 0, watchOutside: false });
  t.after(async () => { ssd.resume(); await m.stop().catch(() => {}); });
  for (let i = 0; i < 12; i++) await m.writeFile(`${i}.txt`, `r${i}`);
  await m.writeFile('gone/old.txt', 'deleted outside');
  await m.writeFile('gone/kept.txt', 'stays');
  await m.writeFile('z/held.txt', 'z');
  await m.drain();
  const events = recordEvents(m);
  await unlink(join(SSD, 'gone', 'old.txt'));
  // The root is walked whole (its files met) before any folder in it; the walk is then held at z.
  const held = ssd.hang((p, op) => op === 'readdir' && p === join(SSD, 'z'));
  const look = m.reconcile();
  await held;
  await m.writeFile('0.txt', 'rewritten longer than before, so its record moves');
  await m.rename('1.txt', '1-renamed.txt');
  await m.remove('2.txt');
  await m.writeFile('new.txt', 'new');
  await m.rename('3.txt', 'gone/3.txt');
  ssd.resume();
  await look;
  await m.drain();
  const outside = events.filter((e) => e.type === 'outside-change');
  assert.deepEqual(outside.map((e) => [e.path, e.change, e.outcome]), [['gone/old.txt', 'deleted', 'taken']], 'only the outside delete was found and taken');
  await assert.rejects(stat(join(USB, 'gone', 'old.txt')));
  assert.equal(await readFile(join(USB, 'gone', 'kept.txt'), 'utf8'), 'stays');
  assert.equal(text(await m.readFile('0.txt')), 'rewritten longer than before, so its record moves');
  assert.equal(text(await m.readFile('1-renamed.txt')), 'r1');
  assert.equal(text(await m.readFile('gone/3.txt')), 'r3');
  assert.equal(m.status().conflicts, 0);
});

test('a write over a version edited on either fast drive keeps that version, whichever drive the write looked at first', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'a'), B = join(dir, 'b');
  // No watcher: the edits stay unnoticed until the write meets them in its own look on each drive.
  const m = await createMirror({ members: [{ path: A, label: 'A' }, { path: B, label: 'B' }], watchOutside: false });
  t.after(() => m.stop().catch(() => {}));
  for (const f of ['on-a.txt', 'on-b.txt', 'sub/on-b.txt', 'gone/old.txt']) await m.writeFile(f, 'v1');
  await putOutside(A, 'on-a.txt', 'edited on A');
  await putOutside(B, 'on-b.txt', 'edited on B');
  await putOutside(B, 'sub/on-b.txt', 'edited on B in a folder');
  await rm(join(B, 'gone'), { recursive: true }); // a folder deleted on B alone: the write makes it again there
  const files = ['on-a.txt', 'on-b.txt', 'sub/on-b.txt', 'gone/x.txt'];
  for (const f of files) await m.writeFile(f, 'v2 through the app');
  for (const root of [A, B]) {
    for (const f of files) assert.equal(await readFile(join(root, f), 'utf8'), 'v2 through the app', `${root} ${f}`);
  }
  assert.deepEqual(await trashed(A), ['edited on A']);
  assert.deepEqual(await trashed(B), ['edited on B', 'edited on B in a folder']);
});
