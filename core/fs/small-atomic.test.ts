// createSmallAtomic: a durable small write whose steps run in a worker (NodeFs), over real folders. It must land what
// createAtomic lands (bytes, time, mode, the stat it reports), leave nothing behind when it fails or is aborted, and
// never follow a link through ConfinedFs (each folder checked right before its use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, realpath, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { ConfinedFs } from './confined-fs.ts';
import { NodeFs } from './node-fs.ts';
import { WatchdogFs } from './watchdog-fs.ts';

async function lab(t: Parameters<typeof tempDir>[0]) {
  const dir = await realpath(await tempDir(t, 'nasm-smallatomic-'));
  const root = join(dir, 'member'), tmp = join(root, '.nas-mirror', 'tmp');
  await mkdir(tmp, { recursive: true });
  await mkdir(join(root, 'docs'));
  await mkdir(join(dir, 'outside'));
  return { dir, root, tmp };
}
const bytes = (s: string) => new TextEncoder().encode(s);

test('a small write lands whole with its time and mode; landed is the stat of what is there; the temp folder is empty', async (t) => {
  const { root, tmp } = await lab(t);
  const fs = new WatchdogFs(new ConfinedFs(new NodeFs(), root), { stallMs: 30_000 });
  const target = join(root, 'docs', 'a.txt');
  await writeFile(target, 'the old version');
  const buf = Buffer.from('the new version');
  const w = fs.createSmallAtomic!(target, tmp, { mtimeMs: 1_620_284_889_123.456, mode: 0o640 });
  await w.write(buf);
  buf.fill(0); // the caller may reuse its buffer once write() has resolved
  assert.equal(await readFile(target, 'utf8'), 'the old version', 'nothing at the target before commit');
  await w.commit();
  assert.equal(await readFile(target, 'utf8'), 'the new version');
  const s = await lstat(target);
  assert.equal(s.mtimeMs, 1_620_284_889_123.456);
  assert.equal(s.mode & 0o777, 0o640);
  assert.deepEqual(w.landed, { type: 'file', size: 15, mtimeMs: s.mtimeMs, ino: s.ino, mode: 0o640 });
  assert.deepEqual(await readdir(tmp), []);
});

test('flush writes the temp file only; abort then removes it; a write after flush is refused', async (t) => {
  const { root, tmp } = await lab(t);
  const fs = new ConfinedFs(new NodeFs(), root);
  const target = join(root, 'docs', 'b.txt');
  const w = fs.createSmallAtomic!(target, tmp);
  await w.write(bytes('bee'));
  await w.flush!();
  const [name] = await readdir(tmp);
  assert.match(name!, /^b\.txt\.[0-9a-f]{12}\.tmp$/);
  assert.equal(await readFile(join(tmp, name!), 'utf8'), 'bee');
  await assert.rejects(w.write(bytes('more')), /nothing more is written/);
  await w.abort();
  assert.deepEqual(await readdir(tmp), []);
  await assert.rejects(lstat(target), { code: 'ENOENT' });
});

test('a commit into a missing folder fails with ENOENT and leaves no temp file', async (t) => {
  const { root, tmp } = await lab(t);
  const fs = new ConfinedFs(new NodeFs(), root);
  const w = fs.createSmallAtomic!(join(root, 'nope', 'c.txt'), tmp);
  await w.write(bytes('sea'));
  await assert.rejects(w.commit(), { code: 'ENOENT' });
  assert.deepEqual(await readdir(tmp), []);
});

test('through a link: the target folder, or the temp folder, swapped for a link is refused and nothing lands outside', async (t) => {
  const { dir, root, tmp } = await lab(t);
  const fs = new ConfinedFs(new NodeFs(), root);
  await symlink(join(dir, 'outside'), join(root, 'away'));
  const w = fs.createSmallAtomic!(join(root, 'away', 'd.txt'), tmp);
  await w.write(bytes('dee'));
  await assert.rejects(w.commit(), (e: Error & { code?: string }) => e.code === 'ESYMLINK' && /"away" is a symbolic link/.test(e.message));
  assert.deepEqual(await readdir(join(dir, 'outside')), []);
  assert.deepEqual(await readdir(tmp), [], 'the temp file went');

  // The temp folder becomes a link after the writer was made: checked when the file is written, not before.
  const w2 = fs.createSmallAtomic!(join(root, 'docs', 'e.txt'), tmp);
  await w2.write(bytes('eee'));
  await rename(tmp, join(root, '.nas-mirror', 'tmp-real'));
  await symlink(join(dir, 'outside'), tmp);
  await assert.rejects(w2.flush!(), { code: 'ESYMLINK' });
  assert.deepEqual(await readdir(join(dir, 'outside')), []);
});

test('many at once (more than the workers): every one lands with its own bytes', async (t) => {
  const { root, tmp } = await lab(t);
  const fs = new ConfinedFs(new NodeFs(), root);
  await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const w = fs.createSmallAtomic!(join(root, 'docs', `f${i}.txt`), tmp);
    await w.write(bytes(`file ${i}`));
    if (i % 2) await w.flush!();
    await w.commit();
  }));
  for (let i = 0; i < 40; i++) assert.equal(await readFile(join(root, 'docs', `f${i}.txt`), 'utf8'), `file ${i}`);
  assert.deepEqual(await readdir(tmp), []);
});

test('a NodeFs subclass that writes or looks its own way is not bypassed: it offers neither one-call way', () => {
  class Slowed extends NodeFs {
    override async createAtomic(target: string, tmpDir: string) { return super.createAtomic(target, tmpDir); }
  }
  class Counted extends NodeFs {
    override async stat(path: string) { return super.stat(path); }
  }
  assert.equal(new Slowed().createSmallAtomic, undefined);
  assert.equal(typeof new Slowed().statWithin, 'function');
  assert.equal(new Counted().statWithin, undefined);
  assert.equal(typeof new Counted().createSmallAtomic, 'function');
  assert.equal(typeof new NodeFs().createSmallAtomic, 'function');
});
