// ConfinedFs over a real folder: a symbolic link inside the member is never followed (invariant 24), outside it nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { snapshot } from '../../test/helpers/engine.ts';
import { ConfinedFs } from './confined-fs.ts';
import { NodeFs } from './node-fs.ts';

/**
 * A member folder `root` with a file, its tmp folder, and `link -> outside`; `outside` holds secret.txt and sub/inner.txt.
 * Everything is resolved (realpath), as the engine hands the member's real root to ConfinedFs.
 */
async function lab(t: Parameters<typeof tempDir>[0]) {
  const dir = await realpath(await tempDir(t, 'nasm-confined-'));
  const root = join(dir, 'member');
  const outside = join(dir, 'outside');
  const tmp = join(root, '.nas-mirror', 'tmp');
  await mkdir(tmp, { recursive: true });
  await mkdir(join(outside, 'sub'), { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await writeFile(join(outside, 'sub', 'inner.txt'), 'inner');
  await writeFile(join(root, 'a.txt'), 'A');
  await symlink(outside, join(root, 'link'));
  const fs = new ConfinedFs(new NodeFs(), root);
  return { dir, root, outside, tmp, fs, at: (rel: string) => join(root, rel) };
}

/** Rejects with one of `codes`; for ESYMLINK the message names the link (relative to the member's root). */
async function refused(p: Promise<unknown>, link: string, codes: readonly string[] = ['ESYMLINK']): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.ok(codes.includes(e.code ?? ''), `expected ${codes.join('/')}, got ${e.code}: ${e.message}`);
    if (e.code === 'ESYMLINK') assert.ok(e.message.includes(`"${link}"`), `the message names the link "${link}": ${e.message}`);
    return true;
  });
}

const drain = async (it: AsyncIterable<Uint8Array>) => { for await (const _ of it) { /* read it all */ } };
const isLink = (p: string) => lstat(p).then((s) => s.isSymbolicLink(), () => false);
const exists = (p: string) => lstat(p).then(() => true, () => false);

test('a link as a folder on the way: every call fails with ESYMLINK and nothing outside the member changes', async (t) => {
  const { root, outside, tmp, fs, at } = await lab(t);
  await mkdir(at('d'));
  await symlink(outside, at('d/deeper')); // a link further down
  await symlink(at('d'), at('alias')); // a link to a folder of the member itself: not followed either
  const before = await snapshot(outside);
  const inside = await snapshot(root);

  await refused(fs.readdir(at('link')), 'link');
  await refused(fs.readdir(at('link/sub')), 'link');
  await refused(fs.stat(at('link/secret.txt')), 'link');
  await refused(fs.stat(at('link/sub/inner.txt')), 'link');
  await refused(fs.readFile(at('link/secret.txt')), 'link');
  await refused(drain(fs.readStream(at('link/secret.txt'))), 'link');
  await refused(fs.createAtomic(at('link/new.txt'), tmp), 'link');
  await refused(fs.createAtomic(at('link/secret.txt'), tmp), 'link');
  await refused(fs.openAppend(at('link/log')), 'link');
  await refused(fs.mkdir(at('link/made')), 'link');
  await refused(fs.mkdir(at('link/made/deeper/still')), 'link');
  await refused(fs.rename(at('a.txt'), at('link/a.txt')), 'link');
  await refused(fs.rename(at('link/secret.txt'), at('taken.txt')), 'link');
  await refused(fs.rename(at('link/sub'), at('taken')), 'link');
  await refused(fs.link(at('a.txt'), at('link/hard.txt')), 'link');
  await refused(fs.link(at('link/secret.txt'), at('hard.txt')), 'link');
  await refused(fs.remove(at('link/secret.txt')), 'link');
  await refused(fs.remove(at('link/sub')), 'link');
  await refused(fs.fsyncDir(at('link')), 'link');
  await refused(fs.readFile(at('d/deeper/secret.txt')), 'd/deeper');
  await refused(fs.remove(at('d/deeper/sub/inner.txt')), 'd/deeper');
  await refused(fs.mkdir(at('d/deeper/x')), 'd/deeper');
  await refused(fs.readdir(at('alias')), 'alias');
  await refused(fs.createAtomic(at('alias/x.txt'), tmp), 'alias');

  assert.deepEqual(await snapshot(outside), before, 'the folder the link points to is byte-for-byte as it was');
  assert.deepEqual(await snapshot(root), inside, 'the member is as it was: its file, its links, no stray temp file');
  assert.equal(await readlink(at('link')), outside, 'the link itself is still there, unchanged');
});

test('a link as the last name: stat says "other", a read fails with ELOOP, remove and rename act on the link itself', async (t) => {
  const { root, outside, tmp, fs, at } = await lab(t);
  await symlink(join(outside, 'secret.txt'), at('filelink'));
  const before = await snapshot(outside);

  assert.equal((await fs.stat(at('link'))).type, 'other', 'a link to a folder is not a folder');
  assert.equal((await fs.stat(at('filelink'))).type, 'other', 'a link to a file is not a file');
  const listed = new Map((await fs.readdir(root)).map((e) => [e.name, e.type]));
  assert.equal(listed.get('link'), 'other');
  assert.equal(listed.get('filelink'), 'other');
  assert.equal(listed.get('a.txt'), 'file');
  // O_NOFOLLOW (node-fs.ts): the read fails instead of returning the secret.
  await refused(fs.readFile(at('filelink')), 'filelink', ['ELOOP']);
  await refused(drain(fs.readStream(at('filelink'))), 'filelink', ['ELOOP']);
  await refused(fs.readFile(at('link')), 'link', ['ELOOP']);

  await fs.rename(at('filelink'), at('moved'));
  assert.ok(await isLink(at('moved')), 'the link was moved, as a link');
  assert.equal(await readlink(at('moved')), join(outside, 'secret.txt'));
  assert.equal(await exists(at('filelink')), false);

  // An atomic replacement of a link's name replaces the link, never writes into its target.
  const w = await fs.createAtomic(at('moved'), tmp);
  await w.write(Buffer.from('mine'));
  await w.commit();
  assert.equal(await isLink(at('moved')), false);
  assert.equal(await readFile(at('moved'), 'utf8'), 'mine');

  await fs.remove(at('link'));
  assert.equal(await exists(at('link')), false, 'the link is gone');
  assert.deepEqual(await snapshot(outside), before, 'its target and everything in it are untouched');
});

test('a dangling link: not followed to create what it points to; it can be removed', async (t) => {
  const { dir, tmp, fs, at } = await lab(t);
  const nowhere = join(dir, 'nowhere');
  await symlink(nowhere, at('dangling'));
  await symlink(at('loop'), at('loop')); // a link to itself: realpath fails with ELOOP

  assert.equal((await fs.stat(at('dangling'))).type, 'other');
  await refused(fs.readFile(at('dangling')), 'dangling', ['ELOOP']);
  await refused(fs.readdir(at('dangling')), 'dangling');
  await refused(fs.mkdir(at('dangling/sub')), 'dangling');
  await refused(fs.mkdir(at('dangling/sub/deeper')), 'dangling');
  await refused(fs.createAtomic(at('dangling/x.txt'), tmp), 'dangling');
  await refused(fs.openAppend(at('dangling/log')), 'dangling');
  await refused(fs.rename(at('a.txt'), at('dangling/a.txt')), 'dangling');
  await refused(fs.readdir(at('loop')), 'loop', ['ESYMLINK', 'ELOOP']);
  await refused(fs.mkdir(at('loop/x')), 'loop', ['ESYMLINK', 'ELOOP']);
  assert.equal(await exists(nowhere), false, 'nothing was created where the link points');
  assert.equal(await readFile(at('a.txt'), 'utf8'), 'A', 'the file that was to be moved through it is still here');

  await fs.remove(at('dangling'));
  assert.equal(await exists(at('dangling')), false);
  assert.equal(await exists(nowhere), false);
});

test('paths outside the member root pass straight through, links and all', async (t) => {
  const { dir, outside, tmp, fs, at } = await lab(t);
  // A sibling whose name starts like the root ("member2" next to "member") is not inside it.
  const sibling = join(dir, 'member2');
  await mkdir(sibling);
  await symlink(outside, join(sibling, 'link'));
  await symlink(outside, join(dir, 'elsewhere'));
  assert.equal(Buffer.from(await fs.readFile(join(sibling, 'link', 'secret.txt'))).toString(), 'secret');
  assert.equal(Buffer.from(await fs.readFile(join(dir, 'elsewhere', 'secret.txt'))).toString(), 'secret');
  assert.deepEqual((await fs.readdir(join(dir, 'elsewhere'))).map((e) => e.name).sort(), ['secret.txt', 'sub']);
  await fs.mkdir(join(sibling, 'link', 'made'));
  assert.ok(await exists(join(outside, 'made')), 'outside the member, a link on the way is the caller\'s business');
  // The member's root itself is not "through a link", and plain folders inside it work as usual.
  assert.ok((await fs.readdir(at(''))).some((e) => e.name === 'a.txt'));
  await fs.mkdir(at('plain/deep'));
  const w = await fs.createAtomic(at('plain/deep/f.txt'), tmp);
  await w.write(Buffer.from('f'));
  await w.commit();
  assert.equal(await readFile(at('plain/deep/f.txt'), 'utf8'), 'f');
});

test('the member\'s own tmp folder (or .nas-mirror) replaced by a link is refused: no temp file lands outside', async (t) => {
  const { root, outside, tmp, at } = await lab(t);
  const before = await snapshot(outside);
  await rm(tmp, { recursive: true });
  await symlink(outside, tmp);
  const fs = new ConfinedFs(new NodeFs(), root);
  await refused(fs.createAtomic(at('new.txt'), tmp), '.nas-mirror/tmp');

  // The whole metadata folder a link: the same.
  await rm(join(root, '.nas-mirror'), { recursive: true });
  await mkdir(join(outside, 'tmp'));
  await symlink(outside, join(root, '.nas-mirror'));
  const before2 = await snapshot(outside);
  await refused(new ConfinedFs(new NodeFs(), root).createAtomic(at('new.txt'), tmp), '.nas-mirror');
  assert.deepEqual(await snapshot(outside), before2, 'no temp file was made in the folder the link points to');
  assert.equal(await exists(at('new.txt')), false);
  before.set('tmp/', '');
  assert.deepEqual(before, before2);
});

test('the tmp folder swapped for a link after it was first used is refused too', {
}, async (t) => {
  const { outside, tmp, fs, at } = await lab(t);
  const w = await fs.createAtomic(at('first.txt'), tmp);
  await w.write(Buffer.from('1'));
  await w.commit();
  await rm(tmp, { recursive: true });
  await symlink(outside, tmp);
  const before = await snapshot(outside);
  let madeOutside: string[] = [];
  const p = fs.createAtomic(at('second.txt'), tmp).then(async (w2) => {
    madeOutside = (await readdir(outside)).filter((n) => n.endsWith('.tmp')); // the temp file, made through the link
    await w2.abort();
  });
  const refusal = await p.then(() => null, (e: Error & { code?: string }) => e);
  assert.deepEqual(madeOutside, [], 'no temp file was created in the folder the link points to');
  assert.equal(refusal?.code, 'ESYMLINK');
  assert.deepEqual(await snapshot(outside), before);
});

test('statEntries looks at the folder once and never follows: a folder through a link is refused, a link entry is "other", a gone one null', async (t) => {
  const { root, fs, at } = await lab(t);
  const [a, link, gone, tmp] = await fs.statEntries(root, ['a.txt', 'link', 'gone.txt', '.nas-mirror']);
  assert.equal(a?.type, 'file');
  assert.equal(a?.size, 1);
  assert.equal(link?.type, 'other', 'the link itself (lstat), never what it points to');
  assert.equal(gone, null);
  assert.equal(tmp?.type, 'dir');
  await refused(fs.statEntries(at('link'), ['secret.txt']), 'link');
  await refused(fs.statEntries(at('link/sub'), ['inner.txt']), 'link');
  // NodeFs checks the folder in its worker, in the same call: the same answers for no names, many, a missing folder.
  await refused(fs.statEntries(at('link'), []), 'link');
  await refused(fs.statEntries(at('link'), Array.from({ length: 40 }, (_, i) => `n${i}`)), 'link');
  assert.deepEqual(await fs.statEntries(at('missing/deeper'), ['a', 'b']), [null, null]);
});
