// Names a member cannot tell apart are one name (invariant 23): case twins with a case-insensitive member (even an
// absent one), Unicode-form twins always. Submitted at the same time they are ordered as one path and the later one is
// refused, so every member ends with the same single file (invariant 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, assembleMirror, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { FoldingFs } from '../helpers/fs/folding-fs.ts';
import { tempDir } from '../helpers/tmp.ts';
import { text, treeOf } from '../helpers/engine.ts';
import { loopMirror } from '../helpers/loop-mirror.ts';

type Settled = PromiseSettledResult<unknown>;

/** EINVALIDPATH with a message that explains (and, when given, matches `why`). */
async function refused(p: Promise<unknown>, what: string, why?: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'EINVALIDPATH', `${what}: expected EINVALIDPATH, got ${e.code}: ${e.message}`);
    if (why) assert.match(e.message, why, what);
    return true;
  }, what);
}

/**
 * Of operations submitted together on twin names, the first one submitted is acknowledged and every later one is
 * refused with EINVALIDPATH: they were ordered as one path, and each later one saw the first.
 */
function firstWinsRestRefused(results: Settled[], what: string): void {
  const outcome = results.map((r) => r.status === 'fulfilled' ? 'ok' : `${(r.reason as { code?: string }).code}: ${(r.reason as Error).message}`);
  assert.equal(results[0]!.status, 'fulfilled', `${what}: the first one submitted is acknowledged (${outcome.join(' | ')})`);
  for (const [i, r] of results.entries()) {
    if (i === 0) continue;
    assert.equal(r.status, 'rejected', `${what}: #${i} is refused, not acknowledged too (${outcome.join(' | ')})`);
    assert.equal((r as PromiseRejectedResult).reason.code, 'EINVALIDPATH', `${what}: #${i} (${outcome[i]})`);
  }
}

/**
 * An SSD member and a write-mostly USB member whose folder compares names as exFAT does (FoldingFs). Both drives add
 * a little random latency to each call, so concurrent operations reach them in shuffled order unless the engine orders them.
 */
async function foldingMirror(t: Parameters<typeof tempDir>[0], o: { intentClearMs?: number } = {}) {
  const dir = await realpath(await tempDir(t));
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const m = await createMirror({ ...o, members: [
    { path: SSD, label: 'SSD', fs: new FaultyFs(new NodeFs(), { jitterMs: 3 }) } as EngineMemberSpec,
    { path: USB, label: 'USB', writeMostly: true, fs: new FoldingFs(new FaultyFs(new NodeFs(), { jitterMs: 3 }), USB) } as EngineMemberSpec,
  ] });
  t.after(() => m.stop().catch(() => {}));
  const [ssdId, usbId] = m.status().members.map((x) => x.id) as [string, string];
  return { dir, SSD, USB, m, ssdId, usbId };
}

/** Two plain (case-sensitive) members. */
async function plainMirror(t: Parameters<typeof tempDir>[0]) {
  const dir = await realpath(await tempDir(t));
  const SSD = join(dir, 'ssd'), HDD = join(dir, 'hdd');
  const m = await createMirror({ members: [{ path: SSD, label: 'SSD' }, { path: HDD, label: 'HDD', writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  return { SSD, HDD, m };
}

async function sameTrees(a: string, b: string, keys: string[]): Promise<void> {
  const ta = await treeOf(a);
  assert.deepEqual([...ta.keys()].sort(), [...keys].sort(), `what ${a} holds`);
  assert.deepEqual(await treeOf(b), ta, 'both members hold the same tree');
}

test('(a) case twins written at the same time with a case-insensitive member: one is acknowledged, one refused; members equal', async (t) => {
  const { SSD, USB, m, ssdId } = await foldingMirror(t);
  const expected: string[] = [];
  for (let i = 0; i < 5; i++) {
    // No await in between: the three are in flight together.
    const results = await Promise.allSettled([
      m.writeFile(`d${i}/Foo.txt`, `upper ${i}`), m.writeFile(`d${i}/foo.txt`, `lower ${i}`), m.writeFile(`d${i}/FOO.TXT`, `caps ${i}`),
    ]);
    firstWinsRestRefused(results, `round ${i}`);
    expected.push(`d${i}/`, `d${i}/Foo.txt`);
  }
  await m.drain();
  await sameTrees(SSD, USB, expected);
  assert.equal((await m.scrub()).mismatches, 0);

  // Only the case-insensitive member left: the acknowledged files read back, spelled as acknowledged only.
  await m.failMember(ssdId);
  for (let i = 0; i < 5; i++) {
    assert.equal(text(await m.readFile(`d${i}/Foo.txt`)), `upper ${i}`);
    await assert.rejects(m.readFile(`d${i}/foo.txt`), { code: 'ENOTFOUND' }, 'paths are exact, even on a member that folds case');
    assert.deepEqual((await m.readdir(`d${i}`)).map((e) => e.name), ['Foo.txt']);
  }
  // And twins submitted together on that member alone are ordered the same way.
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('e/Bar.txt', 'B'), m.writeFile('e/bar.txt', 'b')]), 'USB alone');
  await m.drain();
  assert.equal(text(await m.readFile('e/Bar.txt')), 'B');
  assert.deepEqual([...(await treeOf(USB)).keys()].filter((k) => k.startsWith('e/')).sort(), ['e/', 'e/Bar.txt']);
});

test('(b) two renames at the same time to r/Z and r/z: the second is refused; members equal', async (t) => {
  const { SSD, USB, m } = await foldingMirror(t);
  await m.writeFile('r/a', 'a');
  await m.writeFile('r/b', 'b');
  await m.drain();
  firstWinsRestRefused(await Promise.allSettled([m.rename('r/a', 'r/Z'), m.rename('r/b', 'r/z')]), 'renames');
  await m.drain();
  await sameTrees(SSD, USB, ['r/', 'r/Z', 'r/b']);
  assert.equal(text(await m.readFile('r/Z')), 'a');
  assert.equal(text(await m.readFile('r/b')), 'b');
  // A write and a rename racing for twin names are ordered the same way.
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('r/New', 'n'), m.rename('r/b', 'r/new')]), 'write and rename');
  await m.drain();
  await sameTrees(SSD, USB, ['r/', 'r/Z', 'r/b', 'r/New']);
  assert.equal((await m.scrub()).mismatches, 0);
});

test('(b2) a rename of "d/A" into "d/a/x" (into itself, on a case-insensitive member) is refused', {
}, async (t) => {
  const { SSD, USB, m, usbId } = await foldingMirror(t);
  await m.writeFile('d/A/f', 'f');
  await m.writeFile('e/B', 'b');
  await m.drain();
  await refused(m.rename('d/A', 'd/a/x'), 'a folder into its own twin');
  await refused(m.rename('e/B', 'e/b/x'), 'a file under its own twin');
  await m.drain();
  assert.equal(m.status().members.find((x) => x.id === usbId)!.state, 'in_sync', 'the case-insensitive member was not failed');
  await sameTrees(SSD, USB, ['d/', 'd/A/', 'd/A/f', 'e/', 'e/B']);
});

test('(c) writes at the same time to A/x and a/y (one folder, two spellings): one refused; members equal', async (t) => {
  const { SSD, USB, m } = await foldingMirror(t);
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('A/x', 'x'), m.writeFile('a/y', 'y')]), 'A/x, a/y');
  firstWinsRestRefused(await Promise.allSettled([m.mkdir('P/q'), m.writeFile('p/Q/r', 'r'), m.mkdir('p')]), 'P/q, p/Q/r, p');
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('deep/One/two/3', '3'), m.writeFile('deep/one/Two/4', '4')]), 'deep');
  await m.drain();
  await sameTrees(SSD, USB, ['A/', 'A/x', 'P/', 'P/q/', 'deep/', 'deep/One/', 'deep/One/two/', 'deep/One/two/3']);
  // The folder as spelled first takes more files as usual.
  await m.writeFile('A/y', 'y');
  await m.drain();
  await sameTrees(SSD, USB, ['A/', 'A/x', 'A/y', 'P/', 'P/q/', 'deep/', 'deep/One/', 'deep/One/two/', 'deep/One/two/3']);
  assert.equal((await m.scrub()).mismatches, 0);
});

test('(d) NFC and NFD "café" on two case-sensitive members: the second form is refused, one after the other and at the same time', async (t) => {
  const { SSD, HDD, m } = await plainMirror(t);
  const nfc = 'caf\u00e9', nfd = 'cafe\u0301';
  assert.notEqual(nfc, nfd);
  // One after the other.
  await m.writeFile(`${nfc}.txt`, 'composed');
  await refused(m.writeFile(`${nfd}.txt`, 'decomposed'), 'NFD after NFC', /Unicode form/);
  await refused(m.mkdir(nfd + '.txt'), 'mkdir NFD after NFC');
  await m.writeFile('other.txt', 'o');
  await refused(m.rename('other.txt', `${nfd}.txt`), 'rename onto the NFD twin');
  // At the same time, either form first, as file names and as folder names.
  firstWinsRestRefused(await Promise.allSettled([m.writeFile(`s/${nfd}.txt`, 'D'), m.writeFile(`s/${nfc}.txt`, 'C')]), 'NFD then NFC');
  firstWinsRestRefused(await Promise.allSettled([m.writeFile(`t/${nfc}.txt`, 'C'), m.writeFile(`t/${nfd}.txt`, 'D')]), 'NFC then NFD');
  firstWinsRestRefused(await Promise.allSettled([m.writeFile(`${nfc}/x`, 'x'), m.writeFile(`${nfd}/y`, 'y')]), 'folders');
  await m.drain();
  await sameTrees(SSD, HDD, [`${nfc}.txt`, 'other.txt', 's/', `s/${nfd}.txt`, 't/', `t/${nfc}.txt`, `${nfc}/`, `${nfc}/x`]);
  assert.equal(text(await m.readFile(`${nfc}.txt`)), 'composed');
  await assert.rejects(m.readFile(`${nfd}.txt`), { code: 'ENOTFOUND' }, 'the other form is not the file');
  assert.equal((await m.scrub()).mismatches, 0);
});

test('(e) a rename that changes only case is allowed with a case-insensitive member; both members show the new spelling', async (t) => {
  const { SSD, USB, m, ssdId } = await foldingMirror(t);
  await m.writeFile('d0/photo.JPG', 'jpeg');
  await m.writeFile('Music/song.mp3', 'la');
  await m.drain();
  await m.rename('d0/photo.JPG', 'd0/photo.jpg');
  await m.rename('Music', 'music');
  await m.drain();
  await sameTrees(SSD, USB, ['d0/', 'd0/photo.jpg', 'music/', 'music/song.mp3']);
  assert.deepEqual((await m.readdir('d0')).map((e) => e.name), ['photo.jpg']);
  assert.equal((await m.scrub()).mismatches, 0);
  await m.failMember(ssdId);
  assert.equal(text(await m.readFile('d0/photo.jpg')), 'jpeg', 'read from the case-insensitive member under the new name');
  assert.equal(text(await m.readFile('music/song.mp3')), 'la');
  await assert.rejects(m.readFile('d0/photo.JPG'), { code: 'ENOTFOUND' }, 'the old spelling is gone');
});

test('(f) a name with the Kelvin sign (read elsewhere as a plain K) is refused', async (t) => {
  const { SSD, HDD, m } = await plainMirror(t);
  const kelvin = '\u212A';
  assert.equal(kelvin.normalize('NFC'), 'K');
  await m.writeFile('a.txt', 'a');
  await refused(m.writeFile(`${kelvin}elvin.txt`, 'x'), 'writeFile', /Kelvin/);
  await refused(m.writeFile(`dir${kelvin}/x.txt`, 'x'), 'writeFile in a folder so named');
  await refused(m.mkdir(kelvin), 'mkdir');
  await refused(m.rename('a.txt', `${kelvin}.txt`), 'rename');
  await m.drain();
  await sameTrees(SSD, HDD, ['a.txt']);
});

test('(g) names are checked against an absent member: the ejected exFAT-like drive could not hold a case twin or "a:b.txt"', async (t) => {
  const { SSD, USB, m, usbId } = await foldingMirror(t);
  await m.writeFile('foo.txt', 'f');
  await m.drain();
  await m.eject(usbId);
  assert.equal(m.status().members.find((x) => x.id === usbId)!.state, 'removed');
  await refused(m.writeFile('Foo.txt', 'F'), 'case twin with the USB drive away', /"USB"/);
  await refused(m.writeFile('a:b.txt', 'x'), '"a:b.txt" with the USB drive away', /"USB"/);
  await refused(m.rename('foo.txt', 'bad?.txt'), 'rename to "bad?.txt"');
  await m.writeFile('bar.txt', 'b'); // a plain name is fine

  // Reopened without it: its rules come from the superblock.
  await m.stop();
  const again: Mirror = await assembleMirror({ members: [{ path: SSD }] });
  t.after(() => again.stop().catch(() => {}));
  assert.equal(again.status().members.find((x) => x.id === usbId)!.state, 'removed');
  await refused(again.writeFile('FOO.txt', 'F'), 'case twin after reopening without it', /"USB"/);
  await refused(again.writeFile('a:b.txt', 'x'), '"a:b.txt" after reopening without it', /"USB"/);
  await again.drain();
  assert.deepEqual([...(await treeOf(SSD)).keys()].sort(), ['bar.txt', 'foo.txt'], 'nothing refused was written');
  assert.deepEqual([...(await treeOf(USB)).keys()], ['foo.txt'], 'the ejected drive holds the mirror as of its eject');
});

test('(h) a real exFAT write-mostly drive: case twins at the same time, one refused; scrub clean; reads with only exFAT left', { timeout: 120_000 }, async (t) => {
  const lm = await loopMirror(t, { usb: 'exfat' }); // skips with the reason without root, loop devices or exFAT tools
  if (!lm) return;
  const { A, B, m } = lm;
  const fastId = m.status().members.find((x) => x.label !== 'USB')!.id;
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('d/Foo.txt', 'upper'), m.writeFile('d/foo.txt', 'lower')]), 'Foo/foo');
  firstWinsRestRefused(await Promise.allSettled([m.writeFile('A/x', 'x'), m.writeFile('a/y', 'y')]), 'A/x, a/y');
  await m.writeFile('r/a', 'a');
  await m.writeFile('r/b', 'b');
  firstWinsRestRefused(await Promise.allSettled([m.rename('r/a', 'r/Z'), m.rename('r/b', 'r/z')]), 'renames');
  await m.drain();
  await sameTrees(A, B, ['d/', 'd/Foo.txt', 'A/', 'A/x', 'r/', 'r/Z', 'r/b']);
  assert.equal((await m.scrub()).mismatches, 0);
  await m.failMember(fastId);
  assert.equal(text(await m.readFile('d/Foo.txt')), 'upper');
  assert.equal(text(await m.readFile('A/x')), 'x');
  assert.equal(text(await m.readFile('r/Z')), 'a');
  await assert.rejects(m.readFile('d/foo.txt'), { code: 'ENOTFOUND' }, 'exFAT finds "foo.txt", but it is not the mirror\'s name');
  assert.deepEqual((await m.readdir('d')).map((e) => e.name), ['Foo.txt']);
});
