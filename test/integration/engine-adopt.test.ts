// Adoption (issue 11, part 1): a mirror starts from the files a drive already holds — any member's, not only the
// first's — never merges or overwrites a second folder's files, leaves what is not the user's data (system-names.ts)
// alone on every drive, and a full resync cut short resumes without copying again what is already there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, assembleMirror } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nextEvent, snapshot, text, treeOf } from '../helpers/engine.ts';

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, v] of Object.entries(files)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), v);
  }
}

const ROOT_NAMES = /^(lost\+found|\$RECYCLE\.BIN|System Volume Information|\.Trashes)(\/|$)/i;
const ANY_NAMES = /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini)(\/|$)/i;
const isSystem = (p: string) => ROOT_NAMES.test(p) || ANY_NAMES.test(p);

/** The entries under `root` whose path goes through a system name, as a before/after picture. */
async function systemEntries(root: string): Promise<Map<string, string>> {
  return new Map([...(await snapshot(root))].filter(([p]) => isSystem(p)));
}

/** The user's files and folders (and lost+found, which treeOf leaves out), without the other system names. */
const userTree = async (root: string) => new Map([...(await treeOf(root))].filter(([p]) => !isSystem(p)));

test('the mirror starts from the second folder\'s files when it is the one holding them; dates are kept', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'SSD'), B = join(dir, 'Photos Disk');
  await mkdir(A);
  const files: Record<string, string> = {};
  for (let i = 0; i < 60; i++) files[`Photos/${2020 + (i % 4)}/img-${i}.jpg`] = `jpeg ${i} `.repeat(i + 1);
  files['notes.txt'] = 'shopping list';
  await put(B, files);
  await utimes(join(B, 'notes.txt'), new Date('2019-05-01T10:00:00Z'), new Date('2019-05-01T10:00:00Z'));
  const m = await createMirror({ members: [{ path: A, label: 'SSD' }, { path: B, label: 'Photos Disk', writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  assert.deepEqual(m.status().members.map((x) => x.state), ['resyncing', 'in_sync'], 'the folder with the files is the source');
  assert.equal(text(await m.readFile('notes.txt')), 'shopping list', 'readable while it is being copied');
  await m.drain();
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
  assert.deepEqual(await treeOf(A), await treeOf(B), 'every file is on both drives');
  assert.equal((await stat(join(A, 'notes.txt'))).mtime.toISOString(), '2019-05-01T10:00:00.000Z', 'the copy keeps the file\'s date');
  assert.equal((await m.scrub()).mismatches, 0);
});

test('adoptFrom names the source by index or folder; the empty folder receives the files', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  await put(A, { 'a.txt': 'from A' });
  await mkdir(B);
  const m = await createMirror({ members: [{ path: B }, { path: A }], adoptFrom: A });
  t.after(() => m.stop().catch(() => {}));
  await m.drain();
  assert.equal(await readFile(join(B, 'a.txt'), 'utf8'), 'from A');
  await assert.rejects(createMirror({ members: [{ path: join(dir, 'C') }, { path: join(dir, 'D') }], adoptFrom: 2 }), { code: 'EINVALIDOPTION' });
  await assert.rejects(createMirror({ members: [{ path: join(dir, 'C') }, { path: join(dir, 'D') }], adoptFrom: join(dir, 'E') }), { code: 'EINVALIDOPTION' });
});

test('two folders holding files: refused, naming each folder and what it holds; nothing on either changes', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'Photos Disk'), B = join(dir, 'USB Backup');
  await put(A, { 'Photos/a.jpg': 'a', 'Photos/b.jpg': 'bb' });
  await put(B, { 'Old stuff/notes.txt': 'mine', 'lost+found/x': 'fsck' });
  const before = [await snapshot(A), await snapshot(B)];
  await assert.rejects(createMirror({ members: [{ path: A }, { path: B }] }), (e: Error & { code: string }) => {
    assert.equal(e.code, 'EBUSY');
    assert.match(e.message, /"[^"]*Photos Disk" holds 2 files in 1 folder \(3 bytes\), such as "Photos"/);
    assert.match(e.message, /"[^"]*USB Backup" holds 1 file in 1 folder \(4 bytes\), such as "Old stuff"/);
    assert.match(e.message, /never merged or overwritten/);
    return true;
  });
  await assert.rejects(createMirror({ members: [{ path: A }, { path: B }], adoptFrom: 0 }), (e: Error & { code: string; path?: string }) => {
    assert.equal(e.code, 'EBUSY');
    assert.equal(e.path, B);
    assert.match(e.message, /starts from the files in "[^"]*Photos Disk".*must be empty.*left untouched/);
    return true;
  });
  assert.deepEqual([await snapshot(A), await snapshot(B)], before, 'no folder was touched, not even .nas-mirror made');
  // A drive added later must start empty too: its own files are never overwritten.
  const C = join(dir, 'C'), D = join(dir, 'D');
  const m = await createMirror({ members: [{ path: C }, { path: D }] });
  t.after(() => m.stop().catch(() => {}));
  await assert.rejects(m.addMember({ path: B }), (e: Error & { code: string }) => e.code === 'EBUSY' && /"Old stuff".*receives the mirror's files/.test(e.message));
  assert.deepEqual(await snapshot(B), before[1]);
});

test('system names are never adopted, copied, listed, removed or overwritten — on the source or the target', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  // A drive's root on each side (a member may be one): each holds its own system entries, and only A holds files.
  await put(A, { 'lost+found/#1234': 'A fsck', '.Trashes/501/x': 'A trash', '.DS_Store': 'A finder', 'Thumbs.db': 'A thumbs' });
  await put(B, {
    'lost+found/#99': 'B fsck', '$RECYCLE.BIN/S-1-5/$R1.txt': 'B bin', 'System Volume Information/tracking.log': 'B svi',
    'Photos/.DS_Store': 'B finder', 'Photos/desktop.ini': 'B ini', 'Photos/2024/a.jpg': 'photo a', 'Photos/2024/THUMBS.DB': 'B thumbs',
    'Docs/report.txt': 'report',
  });
  const m = await createMirror({ members: [{ path: A }, { path: B }] });
  t.after(() => m.stop().catch(() => {}));
  await m.drain();
  assert.deepEqual(await userTree(A), await userTree(B), 'the user\'s files are on both');
  assert.equal(await readFile(join(A, 'Photos/2024/a.jpg'), 'utf8'), 'photo a');
  // Browsing the copy on A makes A's own: they must survive whatever the mirror does next.
  await put(A, { 'Photos/.DS_Store': 'A finder too', 'Photos/2024/Thumbs.db': 'A thumbs too' });
  const sysBefore = [await systemEntries(A), await systemEntries(B)];
  // Listings hide them; paths through them are refused with a reason; scrub does not look at them.
  assert.deepEqual((await m.readdir('')).map((e) => e.name), ['Docs', 'Photos']);
  assert.deepEqual((await m.readdir('Photos')).map((e) => e.name), ['2024']);
  assert.deepEqual((await m.readdir('Photos/2024')).map((e) => e.name), ['a.jpg']);
  for (const p of ['Photos/.DS_Store', 'lost+found/new', 'x/Thumbs.db', '$recycle.bin/y', 'Desktop.ini']) {
    await assert.rejects(m.writeFile(p, 'no'), (e: Error & { code: string }) => e.code === 'EINVALIDPATH' && /operating system keeps on each drive/.test(e.message), p);
  }
  await assert.rejects(m.mkdir('System Volume Information'), { code: 'EINVALIDPATH' });
  await assert.rejects(m.rename('Docs/report.txt', 'Docs/.DS_Store'), { code: 'EINVALIDPATH' });
  await assert.rejects(m.readFile('Photos/.DS_Store'), { code: 'EINVALIDPATH' });
  // A folder named so below the root is the user's: only the root's are the drive's own.
  await m.writeFile('Projects/lost+found/notes.txt', 'mine');
  assert.equal(await readFile(join(A, 'Projects/lost+found/notes.txt'), 'utf8'), 'mine');
  // Live writes, a re-add's catch-up, a full resync in place and a scrub repair leave them alone.
  await m.writeFile('Photos/2024/b.jpg', 'photo b');
  const aId = m.status().members[0]!.id;
  await m.failMember(aId);
  await m.writeFile('Photos/2024/c.jpg', 'photo c');
  await m.remove('Docs');
  await m.addMember({ path: A });
  await m.drain();
  await m.failMember(aId);
  await m.forgetMember(aId);
  await m.addMember({ path: A }); // a forgotten member's folder: resynced whole, in place
  await m.drain();
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
  const scrub = await m.scrub({ repair: true });
  assert.equal(scrub.mismatches, 0, 'scrub does not count a drive\'s own .DS_Store as a mismatch');
  assert.deepEqual([await systemEntries(A), await systemEntries(B)], sysBefore, 'every system entry is as it was, on both');
  assert.deepEqual(await userTree(A), await userTree(B));
});

test('a full resync cut short resumes from its checkpoint: what was copied stays, the rest is copied', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  await mkdir(A);
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) files[`d${i % 10}/f${i}.bin`] = `content ${i} `.repeat(50);
  await put(B, files);
  const members = [{ path: A, throttle: { latencyMs: 1 } }, { path: B }];
  const m = await createMirror({ members });
  await nextEvent(m, 'resync-progress', (e) => e.donePaths >= 150);
  await m.stop(); // the app is closed mid-adoption
  const log = await readFile(join(A, '.nas-mirror', 'resync-done.log'), 'utf8');
  const logged = log.split('\n').filter((l) => l.startsWith('+')).map((l) => JSON.parse(l.slice(1, l.lastIndexOf('\t'))) as string);
  assert.ok(logged.length >= 100 && logged.length < 400, `the copies made so far are checkpointed (${logged.length})`);
  const inodes = new Map(await Promise.all(logged.map(async (p) => [p, (await stat(join(A, p))).ino] as const)));
  // What a power cut can leave: a copy with the right size and date but not its data, never checkpointed.
  const unlogged = Object.keys(files).find((p) => !inodes.has(p))!;
  const src = await stat(join(B, unlogged));
  await mkdir(join(A, unlogged, '..'), { recursive: true });
  await writeFile(join(A, unlogged), Buffer.alloc(src.size));
  await utimes(join(A, unlogged), src.atime, src.mtime);

  const again = await assembleMirror({ members });
  t.after(() => again.stop().catch(() => {}));
  assert.equal(again.status().members[0]!.state, 'resyncing', 'it goes on from where it was');
  await again.drain();
  assert.deepEqual(await treeOf(A), await treeOf(B), 'every file is on both');
  let kept = 0;
  for (const [p, ino] of inodes) if ((await stat(join(A, p))).ino === ino) kept++;
  assert.equal(kept, inodes.size, 'no checkpointed copy was made again');
  assert.equal(await readFile(join(A, unlogged), 'utf8'), files[unlogged], 'a copy not checkpointed is made again');
  await assert.rejects(stat(join(A, '.nas-mirror', 'resync-done.log')), { code: 'ENOENT' }, 'the checkpoint goes once complete');
  assert.equal((await again.scrub()).mismatches, 0, 'checksums recorded for the kept copies match');
});
