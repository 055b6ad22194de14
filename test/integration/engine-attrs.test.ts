// Modification times and permission bits (what `cp -a` and `rsync -a` keep, through a FUSE mount): a write may carry
// them, and a metadata-only change is a journaled operation landing on every member — behind ones and returning ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, MirrorError, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FoldingFs } from '../helpers/fs/folding-fs.ts';
import { journalRecords, recordEvents } from '../helpers/engine.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';

const MTIME = Date.UTC(2021, 4, 6, 7, 8, 9, 123);

async function threeMembers(t: { after(fn: () => Promise<void> | void): void }): Promise<{ m: Mirror; roots: string[] }> {
  const dir = await tempDir(t, 'nasm-attrs-', RAM_DIR);
  const roots = ['ssd', 'hdd', 'usb'].map((n) => join(dir, n));
  const m = await createMirror({
    members: [{ path: roots[0]!, label: 'SSD' }, { path: roots[1]!, label: 'HDD' }, { path: roots[2]!, label: 'USB', writeMostly: true }],
    intentClearMs: 20, watchOutside: false,
  });
  t.after(() => m.stop().catch(() => {}));
  return { m, roots };
}

/** The time and permission bits of `path` on every member. */
async function onEvery(roots: string[], path: string): Promise<{ mtimeMs: number; mode: number }[]> {
  return Promise.all(roots.map(async (r) => {
    const s = await stat(join(r, path));
    return { mtimeMs: s.mtimeMs, mode: s.mode & 0o777 };
  }));
}

test('a write carrying a time and a mode lands with them on every member, behind ones included', async (t) => {
  const { m, roots } = await threeMembers(t);
  await m.writeFile('photos/a.jpg', 'jpeg', { mtimeMs: MTIME, mode: 0o640 });
  await m.writeFile('big.bin', (async function* () { for (let i = 0; i < 80; i++) yield new Uint8Array(1 << 20); })(), { mtimeMs: MTIME + 1000, mode: 0o755 });
  await m.drain();
  for (const s of await onEvery(roots, 'photos/a.jpg')) assert.deepEqual(s, { mtimeMs: MTIME, mode: 0o640 });
  for (const s of await onEvery(roots, 'big.bin')) assert.deepEqual(s, { mtimeMs: MTIME + 1000, mode: 0o755 }, 'a streamed write too');
  const st = await m.stat('photos/a.jpg');
  assert.equal(st.mtimeMs, MTIME);
  assert.equal(st.mode, 0o640);
});

test('setAttributes is a journaled operation: on every member, recorded before its legs, no outside change', async (t) => {
  const { m, roots } = await threeMembers(t);
  await m.writeFile('doc.txt', 'hello');
  await m.mkdir('folder');
  await m.drain();
  const events = recordEvents(m);
  await m.setAttributes('doc.txt', { mtimeMs: MTIME, mode: 0o600 });
  // The intent record was made durable on every member before the legs started (invariant 13); it is there now.
  for (const r of roots.slice(0, 2)) assert.ok((await journalRecords(r)).has('doc.txt'), `an intent record on ${r}`);
  await m.setAttributes('folder', { mtimeMs: MTIME - 5000, mode: 0o750 });
  await m.drain();
  for (const s of await onEvery(roots, 'doc.txt')) assert.deepEqual(s, { mtimeMs: MTIME, mode: 0o600 });
  for (const s of await onEvery(roots, 'folder')) assert.deepEqual(s, { mtimeMs: MTIME - 5000, mode: 0o750 });
  // The new time is the engine's own doing: a look at every drive finds no change made outside the app, and the
  // content still matches its checksum.
  await m.reconcile();
  assert.equal(m.conflicts().length, 0);
  assert.deepEqual(events.filter((e) => e.type === 'outside-change'), []);
  assert.equal((await m.scrub()).mismatches, 0);
  assert.equal(Buffer.from(await m.readFile('doc.txt')).toString(), 'hello');
});

test('the owner keeps read and write whatever mode is asked; set-user-ID and the like are never set', async (t) => {
  const { m, roots } = await threeMembers(t);
  await m.writeFile('locked.txt', 'x', { mode: 0o4000 });
  await m.mkdir('d');
  await m.setAttributes('d', { mode: 0o000 });
  await m.drain();
  for (const s of await onEvery(roots, 'locked.txt')) assert.equal(s.mode, 0o600);
  for (const s of await onEvery(roots, 'd')) assert.equal(s.mode, 0o700);
});

test('a member away when the time changed gets it on its return (catch-up copies time and mode)', async (t) => {
  const { m, roots } = await threeMembers(t);
  await m.writeFile('a.txt', 'a');
  await m.drain();
  const hdd = m.status().members.find((x) => x.label === 'HDD')!;
  await m.eject(hdd.id);
  await m.setAttributes('a.txt', { mtimeMs: MTIME, mode: 0o644 });
  await m.addMember({ path: roots[1]!, label: 'HDD' });
  await m.drain();
  for (const s of await onEvery(roots, 'a.txt')) assert.deepEqual(s, { mtimeMs: MTIME, mode: 0o644 });
});

test('bad attributes and missing paths are refused, changing nothing', async (t) => {
  const { m } = await threeMembers(t);
  await m.writeFile('a.txt', 'a');
  await assert.rejects(m.setAttributes('nope.txt', { mtimeMs: MTIME }), (e: unknown) => e instanceof MirrorError && e.code === 'ENOTFOUND');
  await assert.rejects(m.setAttributes('a.txt', { mtimeMs: Number.NaN }), (e: unknown) => e instanceof MirrorError && e.code === 'EINVALIDOPTION');
  await assert.rejects(m.setAttributes('a.txt', { mode: 0o10000 }), (e: unknown) => e instanceof MirrorError && e.code === 'EINVALIDOPTION');
  await assert.rejects(m.writeFile('b.txt', 'b', { mode: -1 }), (e: unknown) => e instanceof MirrorError && e.code === 'EINVALIDOPTION');
  await assert.rejects(m.setAttributes('.nas-mirror/superblock.json', { mtimeMs: MTIME }), (e: unknown) => e instanceof MirrorError && e.code === 'EINVALIDPATH');
  await assert.rejects(m.stat('b.txt'), (e: unknown) => e instanceof MirrorError && e.code === 'ENOTFOUND');
});

test('stagingDir is on an in-sync fast member, inside its metadata folder', async (t) => {
  const { m, roots } = await threeMembers(t);
  const dir = m.stagingDir();
  assert.ok(dir !== null && (dir.startsWith(join(roots[0]!, '.nas-mirror')) || dir.startsWith(join(roots[1]!, '.nas-mirror'))), String(dir));
  for (const x of m.status().members.filter((y) => !y.writeMostly)) await m.failMember(x.id);
  assert.equal(m.stagingDir(), null, 'none when only the write-mostly member is left');
});

test('checkName refuses at once what no member could hold, before anything is written', async (t) => {
  const dir = await tempDir(t, 'nasm-attrs-', RAM_DIR);
  const usb = join(dir, 'usb');
  const m = await createMirror({
    members: [{ path: join(dir, 'ssd'), label: 'SSD' }, { path: usb, label: 'USB', writeMostly: true, fs: new FoldingFs(new NodeFs(), usb) } as EngineMemberSpec],
    watchOutside: false,
  });
  t.after(() => m.stop().catch(() => {}));
  const refused = (p: string) => assert.throws(() => m.checkName(p), (e: unknown) => e instanceof MirrorError && e.code === 'EINVALIDPATH', p);
  refused('a:b.txt');
  refused('folder/trailing.');
  refused('.nas-mirror/x');
  refused('../up');
  m.checkName('photos/ok.jpg'); // fine: nothing thrown
});
