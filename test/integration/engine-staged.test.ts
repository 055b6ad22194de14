// Mirror.writeStaged: a file a host staged in a member's staging folder (a FUSE mount's big file) lands itself on that
// member, renamed into place, and only the other members get a copy. The rule (mirror-api.ts): acknowledged, the
// staged file is gone from the staging folder; refused or failed, it is left there, unchanged, still the host's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror } from '../../core/index.ts';
import { faultyPair } from '../helpers/faulty-pair.ts';
import { tempDir } from '../helpers/tmp.ts';

const MiB = 1 << 20;
const exists = (p: string) => stat(p).then(() => true, () => false);
const staged = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.stage'));

/** A staged file of `size` random bytes in the mirror's staging folder. */
async function stage(m: { stagingDir(): string | null }, size: number, name = 'x.stage') {
  const dir = m.stagingDir();
  assert.ok(dir, 'an in-sync fast member offers a staging folder');
  const file = join(dir, name);
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  return { dir, file, bytes, ino: (await stat(file)).ino };
}

test('a big staged file lands itself on its member (same inode) and as a copy on the other; the scrub finds both good', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  // A behind budget of 1 MiB: a 5 MiB write streams to every member in step (the path the adoption is on).
  const m = await createMirror({ watchOutside: false, maxBehindBytes: MiB, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] });
  t.after(() => m.stop().catch(() => {}));
  await m.mkdir('films');
  const s = await stage(m, 5 * MiB + 123);
  assert.ok(s.dir.startsWith(A), 'staged on the first fast member');
  const mtimeMs = Date.parse('2024-05-01T10:00:00.250Z');
  await m.writeStaged('films/clip.bin', s.file, { mtimeMs, mode: 0o640 });
  assert.equal(await exists(s.file), false, 'acknowledged: the staged file is gone from the staging folder');
  const onA = await stat(join(A, 'films/clip.bin'));
  assert.equal(onA.ino, s.ino, 'A holds the staged file itself, renamed into place (no second copy)');
  assert.equal(onA.mtimeMs, mtimeMs);
  assert.equal(onA.mode & 0o777, 0o640);
  assert.deepEqual(await readFile(join(B, 'films/clip.bin')), s.bytes, 'B got a copy of the same bytes');
  assert.equal((await stat(join(B, 'films/clip.bin'))).mtimeMs, mtimeMs);
  assert.deepEqual(Buffer.from(await m.readFile('films/clip.bin')), s.bytes, 'read back through the engine (checksum-verified)');
  const r = await m.scrub({ repair: false });
  assert.equal(r.mismatches, 0, `the manifests record what landed on each member: ${JSON.stringify(r.findings)}`);
});

test('a staged file small enough to be held lands as copies, and goes from the staging folder', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ watchOutside: false, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] });
  t.after(() => m.stop().catch(() => {}));
  const s = await stage(m, 300_000);
  await m.writeStaged('small.bin', s.file);
  assert.equal(await exists(s.file), false);
  assert.deepEqual(await readFile(join(A, 'small.bin')), s.bytes);
  assert.deepEqual(await readFile(join(B, 'small.bin')), s.bytes);
});

test('a refused staged write leaves the staged file where it was, unchanged; one outside a staging folder is refused', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ watchOutside: false, maxBehindBytes: MiB, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('notes.txt', 'a file, not a folder');
  const s = await stage(m, 3 * MiB);
  await assert.rejects(m.writeStaged('notes.txt/inside.bin', s.file), 'a path below a file cannot be written');
  assert.deepEqual(await readFile(s.file), s.bytes, 'the staged file is still the host\'s, byte for byte');
  const elsewhere = join(dir, 'elsewhere.stage');
  await writeFile(elsewhere, 'not staged where the mirror stages');
  await assert.rejects(m.writeStaged('x.bin', elsewhere), (e: Error & { code?: string }) => e.code === 'EINVALIDOPTION');
  assert.equal(await readFile(elsewhere, 'utf8'), 'not staged where the mirror stages');
  await assert.rejects(m.writeStaged('x.bin', join(s.dir, '..', 'manifest.log')), (e: Error & { code?: string }) => e.code === 'EINVALIDOPTION');
  assert.equal(await exists(join(A, 'x.bin')), false);
  assert.equal(await exists(join(B, 'x.bin')), false);
  // The same staged file, written to a good path afterwards, lands.
  await m.writeStaged('later.bin', s.file);
  assert.deepEqual(await readFile(join(B, 'later.bin')), s.bytes);
});

test('the staged member failing at its landing: the write stands on the other, that member is faulty, the staged file goes', { timeout: 60_000 }, async (t) => {
  const { A, B, afs, m } = await faultyPair(t, { maxBehindBytes: MiB });
  await m.writeFile('warm.txt', 'the folders exist');
  const s = await stage(m, 4 * MiB);
  afs.options.failPath = (p, op) => op === 'committing' && p.endsWith('big.bin');
  await m.writeStaged('big.bin', s.file);
  assert.deepEqual(await readFile(join(B, 'big.bin')), s.bytes);
  assert.equal(m.status().members.find((x) => x.label === 'A')!.state, 'faulty');
  assert.equal(await exists(join(A, 'big.bin')), false, 'nothing landed at the path on A');
  assert.deepEqual(await staged(s.dir), [], 'the staged file is not left behind');
  assert.deepEqual(Buffer.from(await m.readFile('big.bin')), s.bytes);
});

test('with no write-mostly member nothing can go behind: a 3 MiB staged file streams, so it lands itself too', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ watchOutside: false, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] }); // default limits
  t.after(() => m.stop().catch(() => {}));
  const s = await stage(m, 3 * MiB);
  await m.writeStaged('three.bin', s.file);
  assert.equal((await stat(join(A, 'three.bin'))).ino, s.ino, 'not held whole in memory and copied: the file itself landed');
  assert.deepEqual(await readFile(join(B, 'three.bin')), s.bytes);
});
