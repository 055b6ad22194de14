// A symbolic link planted inside a member folder is never followed nor changed (invariant 24, 27): every way through
// the engine to it is refused with EINVALIDPATH naming the link and the drive; listings leave it out; catch-up leaves a
// member's own link alone; what it points to stays byte-for-byte as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readlink, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, type Mirror } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nextEvent, snapshot, text, treeOf } from '../helpers/engine.ts';

/**
 * An SSD member and a write-mostly USB member, both empty when the mirror is made (a new member must be), holding
 * a.txt; and, outside the mirror, a folder with secret.txt that links are planted to point at.
 */
async function mirrorWithOutside(t: Parameters<typeof tempDir>[0], o: { intentClearMs?: number } = {}) {
  const dir = await realpath(await tempDir(t));
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb'), outside = join(dir, 'outside');
  await mkdir(join(outside, 'sub'), { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await writeFile(join(outside, 'sub', 'inner.txt'), 'inner');
  const m = await createMirror({ ...o, members: [{ path: SSD, label: 'SSD' }, { path: USB, label: 'USB', writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('a.txt', 'A');
  await m.mkdir('docs');
  await m.writeFile('docs/d.txt', 'D');
  await m.drain();
  const [ssdId, usbId] = m.status().members.map((x) => x.id) as [string, string];
  return { SSD, USB, outside, m, ssdId, usbId, before: await snapshot(outside) };
}

/** Where the links set aside in a member's trash point. */
async function linksInTrash(root: string): Promise<string[]> {
  const trash = join(root, '.nas-mirror', 'trash');
  const kept = await Promise.all((await readdir(trash)).map(async (n) => (await lstat(join(trash, n))).isSymbolicLink() ? readlink(join(trash, n)) : null));
  return kept.filter((k): k is string => k !== null);
}

/** EINVALIDPATH, the message naming the link and the member whose folder holds it. */
async function refusedAtLink(p: Promise<unknown>, what: string, member: { label: string; id: string }, link = 'link'): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string; memberId?: string }) => {
    assert.equal(e.code, 'EINVALIDPATH', `${what}: expected EINVALIDPATH, got ${e.code}: ${e.message}`);
    assert.ok(e.message.includes(`"${link}"`), `${what}: the message names the link: ${e.message}`);
    assert.ok(e.message.includes(`"${member.label}"`), `${what}: the message names the member "${member.label}": ${e.message}`);
    assert.equal(e.memberId, member.id, `${what}: the error carries the member`);
    return true;
  }, what);
}

/** Every way through the engine to `link` (a planted link to a folder holding secret.txt); none may succeed. */
const WAYS_THROUGH: [string, (m: Mirror) => Promise<unknown>][] = [
  ["readdir('link')", (m) => m.readdir('link')],
  ["readFile('link/secret.txt')", (m) => m.readFile('link/secret.txt')],
  ["readFile('link')", (m) => m.readFile('link')],
  ["stat('link')", (m) => m.stat('link')],
  ["stat('link/secret.txt')", (m) => m.stat('link/secret.txt')],
  ["openReader('link/secret.txt')", (m) => m.openReader('link/secret.txt')],
  ["writeFile('link/x')", (m) => m.writeFile('link/x', 'x')],
  ["writeFile('link/secret.txt')", (m) => m.writeFile('link/secret.txt', 'stolen')],
  ["writeFile('link') over the link", (m) => m.writeFile('link', 'over the link')],
  ["mkdir('link/sub')", (m) => m.mkdir('link/sub')],
  ["mkdir('link')", (m) => m.mkdir('link')],
  ["remove('link/secret.txt')", (m) => m.remove('link/secret.txt')],
  ["remove('link/sub')", (m) => m.remove('link/sub')],
  ["remove('link')", (m) => m.remove('link')],
  ["rename('a.txt', 'link/a.txt')", (m) => m.rename('a.txt', 'link/a.txt')],
  ["rename('link/secret.txt', 'taken.txt')", (m) => m.rename('link/secret.txt', 'taken.txt')],
  ["rename('link', 'x')", (m) => m.rename('link', 'x')],
  ["rename('a.txt', 'link')", (m) => m.rename('a.txt', 'link')],
];

async function everyWayThrough(m: Mirror, member: { label: string; id: string }): Promise<void> {
  for (const [what, run] of WAYS_THROUGH) await refusedAtLink(run(m), what, member);
}

test('a link planted in both members: every read, write, remove and rename through it is refused; nothing outside changes', async (t) => {
  const { SSD, USB, outside, m, ssdId, before } = await mirrorWithOutside(t);
  await symlink(outside, join(SSD, 'link'));
  await symlink(outside, join(USB, 'link'));

  await everyWayThrough(m, { label: 'SSD', id: ssdId });
  assert.deepEqual((await m.readdir('')).map((e) => e.name), ['docs', 'a.txt'], 'the link is not listed');
  await m.drain();

  assert.deepEqual(await snapshot(outside), before, 'the folder the links point to is byte-for-byte as it was');
  for (const root of [SSD, USB]) assert.equal(await readlink(join(root, 'link')), outside, `the link in ${root} is still there`);
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync'], 'a refused path blames no drive');
  assert.equal(text(await m.readFile('a.txt')), 'A', 'a.txt was not moved');
  assert.deepEqual(await treeOf(USB), await treeOf(SSD));
  assert.equal((await m.scrub()).mismatches, 0);
});

test('a link only on the write-mostly member, the fast one failed: fallback reads and writes are refused, naming that member', async (t) => {
  const { USB, outside, m, ssdId, usbId, before } = await mirrorWithOutside(t);
  await symlink(outside, join(USB, 'link'));
  await m.failMember(ssdId);

  await everyWayThrough(m, { label: 'USB', id: usbId });
  assert.deepEqual((await m.readdir('')).map((e) => e.name), ['docs', 'a.txt'], 'the fallback listing leaves the link out');
  assert.equal(text(await m.readFile('docs/d.txt')), 'D', 'the rest of the mirror reads from the USB member');
  await m.writeFile('docs/new.txt', 'N');
  assert.equal(text(await m.readFile('docs/new.txt')), 'N');
  await m.drain();

  assert.deepEqual(await snapshot(outside), before);
  assert.equal(await readlink(join(USB, 'link')), outside);
  assert.equal(m.status().members.find((x) => x.id === usbId)!.state, 'in_sync', 'the USB member is not blamed');
  assert.equal((await m.scrub()).mismatches, 0);
});

test('a re-added member keeps its own links through its catch-up, in a folder the catch-up visits too', async (t) => {
  const { SSD, USB, outside, m, usbId, before } = await mirrorWithOutside(t);
  await m.failMember(usbId);
  // The USB drive's owner put links of their own on it while it was away, one in a folder of the mirror.
  await symlink(outside, join(USB, 'mine'));
  await symlink(join(outside, 'secret.txt'), join(USB, 'docs', 'mine.txt'));
  // What it missed: new files beside the links, a removed file, and its folder "docs" (mkdir of an existing
  // folder), so the catch-up lists that folder and meets the link in it.
  await m.writeFile('docs/new.txt', 'N');
  await m.writeFile('top.txt', 'T');
  await m.remove('a.txt');
  await m.mkdir('docs');
  await m.mkdir('docs/empty');

  const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
  assert.equal(await m.addMember({ path: USB, writeMostly: true, label: 'USB' }), usbId);
  await back;
  await m.drain();

  assert.equal(await readlink(join(USB, 'mine')), outside, 'the link in its root is still there');
  assert.equal(await readlink(join(USB, 'docs', 'mine.txt')), join(outside, 'secret.txt'), 'the link in docs is still there');
  assert.deepEqual(await snapshot(outside), before, 'and what they point to is untouched');
  assert.deepEqual(await treeOf(USB), await treeOf(SSD), 'otherwise the member equals the in-sync one');
  assert.deepEqual([...(await treeOf(SSD)).keys()].sort(), ['docs/', 'docs/d.txt', 'docs/empty/', 'docs/new.txt', 'top.txt']);
  await m.failMember(m.status().members[0]!.id); // read from the USB member: its links are not in the mirror
  assert.deepEqual((await m.readdir('docs')).map((e) => e.name), ['empty', 'd.txt', 'new.txt']);
  assert.deepEqual((await m.readdir('')).map((e) => e.name), ['docs', 'top.txt']);
  assert.equal((await m.scrub()).mismatches, 0);
});

test('a link where the mirror needs a real folder on a lagging member is set aside in its trash, never followed', async (t) => {
  // Records are not cleared (and the trash not purged) during the test, so what was set aside can be looked at.
  const { SSD, USB, outside, m, usbId, before } = await mirrorWithOutside(t, { intentClearMs: 600_000 });
  await m.failMember(usbId);
  await symlink(outside, join(USB, 'photos'));
  await m.writeFile('photos/p.jpg', 'P'); // the mirror's own "photos" folder, made while the USB member was away

  const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
  await m.addMember({ path: USB, writeMostly: true, label: 'USB' });
  await back;
  await m.drain();

  assert.ok((await lstat(join(USB, 'photos'))).isDirectory(), 'a real folder took the link\'s place');
  assert.deepEqual(await treeOf(USB), await treeOf(SSD));
  assert.deepEqual(await snapshot(outside), before, 'nothing was written through the link');
  assert.ok((await linksInTrash(USB)).includes(outside), 'the link itself is kept in the member\'s trash (invariant 27)');
  assert.equal((await m.scrub()).mismatches, 0);
});

test('a link only on the write-mostly member, the fast one healthy: the write lands, the link is not followed, re-add sets it aside', async (t) => {
  const { SSD, USB, outside, m, usbId, before } = await mirrorWithOutside(t, { intentClearMs: 600_000 });
  await symlink(outside, join(USB, 'link'));
  // The mirror has no "link": the path is legal on the SSD, which acknowledges it.
  await m.writeFile('link/x', 'X');
  await m.drain();
  assert.deepEqual(await snapshot(outside), before, 'nothing was written through the link');
  const usb = m.status().members.find((x) => x.id === usbId)!;
  if (usb.state === 'faulty') {
    assert.match(usb.error ?? '', /"link" is a symbolic link/, 'the drive is failed with a message naming the link');
    const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
    await m.addMember({ path: USB, writeMostly: true, label: 'USB' });
    await back;
    await m.drain();
  }
  assert.ok((await lstat(join(USB, 'link'))).isDirectory(), 'the mirror\'s folder took the link\'s place');
  assert.deepEqual(await treeOf(USB), await treeOf(SSD));
  assert.deepEqual(await snapshot(outside), before);
  assert.ok((await linksInTrash(USB)).includes(outside), 'the link itself is kept in the member\'s trash (invariant 27)');
});

test('a member\'s own link inside a folder removed or renamed while it was away survives its catch-up', {
}, async (t) => {
  const { SSD, USB, outside, m, usbId, before } = await mirrorWithOutside(t, { intentClearMs: 600_000 });
  await m.writeFile('old/f.txt', 'F');
  await m.writeFile('gone/g.txt', 'G');
  await m.drain();
  await m.failMember(usbId);
  await symlink(outside, join(USB, 'old', 'mine'));
  await symlink(join(outside, 'secret.txt'), join(USB, 'gone', 'mine.txt'));
  await m.rename('old', 'new'); // on an in-sync member the link moves with its folder
  await m.remove('gone'); // on an in-sync member the folder, link included, goes to the trash
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
  await m.addMember({ path: USB, writeMostly: true, label: 'USB' });
  await back;
  await m.drain();
  assert.deepEqual(await treeOf(USB), await treeOf(SSD));
  assert.deepEqual(await snapshot(outside), before);
  const links = [...(await snapshot(USB)).entries()].filter(([, v]) => v.startsWith('-> ')).map(([, v]) => v.slice(3)).sort();
  assert.deepEqual(links, [outside, join(outside, 'secret.txt')].sort(), 'both links are still on the drive (in place or in its trash)');
});
