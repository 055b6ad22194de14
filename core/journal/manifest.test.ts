// The manifest: checksums with size, time and inode (outside changes), folders, old manifests read as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { compareMeta, hashOf, Manifest, metaOf } from './manifest.ts';

async function root(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  await mkdir(join(dir, '.nas-mirror', 'tmp'), { recursive: true });
  return dir;
}

test('a manifest written before metadata was recorded is read as it is: checksums, no metadata', async (t) => {
  const dir = await root(t);
  const hash = hashOf(Buffer.from('old'));
  await writeFile(join(dir, '.nas-mirror', 'manifest.log'), `+"a.txt"\t${hash}\n+"d/b.txt"\t${hash}\n`);
  const m = await Manifest.open(new NodeFs(), dir);
  assert.equal(m.get('a.txt'), hash);
  assert.deepEqual(m.entry('d/b.txt'), { type: 'file', hash });
  assert.deepEqual([...m.files()].sort(), ['a.txt', 'd/b.txt']);
  await m.close();
});

test('landed() records size, time and inode; they survive a reopen, compactly, one line per path', async (t) => {
  const dir = await root(t);
  await mkdir(join(dir, 'photos', '2024'), { recursive: true });
  await writeFile(join(dir, 'photos', '2024', 'cat.jpg'), 'meow');
  const m = await Manifest.open(new NodeFs(), dir);
  await m.landed('photos/2024/cat.jpg', hashOf(Buffer.from('meow')));
  m.setDir('empty/inner');
  await m.commit();
  await m.close();
  const s = await stat(join(dir, 'photos', '2024', 'cat.jpg'));
  const again = await Manifest.open(new NodeFs(), dir);
  assert.deepEqual(again.entry('photos/2024/cat.jpg'), { type: 'file', hash: hashOf(Buffer.from('meow')), meta: { size: 4, mtimeMs: s.mtimeMs, ino: s.ino } });
  // The folders the file sits in, and the folder made empty, are the engine's too.
  for (const d of ['photos', 'photos/2024', 'empty', 'empty/inner']) assert.deepEqual(again.entry(d), { type: 'dir' }, d);
  assert.equal(again.get('photos'), undefined, 'a folder has no checksum');
  const lines = (await readFile(join(dir, '.nas-mirror', 'manifest.log'), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 5);
  assert.ok(lines.every((l) => l.length < 120), 'compact');
  await again.close();
});

test('rename moves a folder with everything in it; remove of a folder takes its entries', async (t) => {
  const dir = await root(t);
  const m = await Manifest.open(new NodeFs(), dir);
  m.set('a/x.txt', 'H1', { size: 1, mtimeMs: 10, ino: 7 });
  m.set('a/b/y.txt', 'H2', { size: 2, mtimeMs: 20 });
  m.set('ab.txt', 'H3');
  m.rename('a', 'c');
  assert.deepEqual([...m.paths()].sort(), ['ab.txt', 'c', 'c/b', 'c/b/y.txt', 'c/x.txt']);
  assert.deepEqual(m.entry('c/x.txt'), { type: 'file', hash: 'H1', meta: { size: 1, mtimeMs: 10, ino: 7 } });
  m.remove('c');
  assert.deepEqual([...m.paths()], ['ab.txt']);
  await m.close();
});

test('SnapRAID\'s rule: size or time changed is an edit; an inode alone is looked at; FAT\'s inodes are not trusted', () => {
  const rec = { size: 5, mtimeMs: 1_000.25, ino: 42 };
  const now = (o: Partial<{ size: number; mtimeMs: number; ino: number }>) => ({ type: 'file' as const, size: 5, mtimeMs: 1_000.25, ino: 42, ...o });
  assert.equal(compareMeta(rec, now({}), true), 'same');
  assert.equal(compareMeta(rec, now({ mtimeMs: 1_000.2505 }), true), 'same', 'a time set back through seconds is the same time');
  assert.equal(compareMeta(rec, now({ size: 6 }), true), 'changed');
  assert.equal(compareMeta(rec, now({ mtimeMs: 1_001 }), true), 'changed');
  assert.equal(compareMeta(rec, now({ ino: 43 }), true), 'inode');
  assert.equal(compareMeta(rec, now({ ino: 43 }), false), 'same', 'exFAT renumbers inodes at every mount');
  assert.equal(compareMeta(rec, { type: 'dir', size: 5, mtimeMs: 1_000.25 }, true), 'changed');
  assert.deepEqual(metaOf({ type: 'file', size: 3, mtimeMs: 9, ino: 0 }), { size: 3, mtimeMs: 9 });
});
