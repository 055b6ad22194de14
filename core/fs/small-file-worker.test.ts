// hashSmallFiles: one call that stats and checksums many files, through NodeFs, ConfinedFs and WatchdogFs, over real
// folders; it must say exactly what stat() and a streamed checksum say, and never follow a link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { hashStream } from '../journal/manifest.ts';
import { ConfinedFs } from './confined-fs.ts';
import type { BulkFile } from './filesystem.ts';
import { NodeFs } from './node-fs.ts';
import { SlowFs } from './slow-fs.ts';
import { WatchdogFs } from './watchdog-fs.ts';

async function lab(t: Parameters<typeof tempDir>[0]) {
  const dir = await realpath(await tempDir(t, 'nasm-hashsmall-'));
  const root = join(dir, 'member');
  await mkdir(join(root, 'photos'), { recursive: true });
  await mkdir(join(dir, 'outside'));
  await writeFile(join(dir, 'outside', 'secret.txt'), 'secret');
  await writeFile(join(root, 'photos', 'a.jpg'), 'A'.repeat(5000));
  await writeFile(join(root, 'photos', 'empty.jpg'), '');
  await writeFile(join(root, 'big.bin'), Buffer.alloc(3 << 20, 7)); // bigger than the limit and than one read
  await symlink(join(dir, 'outside', 'secret.txt'), join(root, 'photos', 'link.jpg'));
  await symlink(join(dir, 'outside'), join(root, 'away'));
  execFileSync('mkfifo', [join(root, 'photos', 'pipe')]);
  return { root, at: (rel: string) => join(root, rel) };
}

test('NodeFs.hashSmallFiles gives what stat() and a streamed checksum give, in one call', async (t) => {
  const { at } = await lab(t);
  const fs = new NodeFs();
  const rels = ['photos/a.jpg', 'photos/empty.jpg', 'photos', 'photos/link.jpg', 'photos/pipe', 'nope.jpg', 'photos/a.jpg/x', 'big.bin'];
  const got = await fs.hashSmallFiles(rels.map(at), 4 << 20);
  for (const [i, rel] of rels.entries()) {
    const stat = await fs.stat(at(rel)).catch(() => null);
    assert.deepEqual(got[i]!.stat, stat, `${rel}: the stat`);
    const hash = stat?.type === 'file' ? await hashStream(fs.readStream(at(rel))) : undefined;
    assert.equal(got[i]!.hash, hash, `${rel}: the checksum (a link, a pipe, a folder get none)`);
    assert.equal(got[i]!.code, undefined, `${rel}: no error`);
  }
  const small = await fs.hashSmallFiles([at('big.bin'), at('photos/a.jpg')], 1 << 20);
  assert.equal(small[0]!.stat?.size, 3 << 20);
  assert.equal(small[0]!.hash, undefined, 'a file over the limit is stat\'ed, not read');
  assert.ok(small[1]!.hash, 'one under it is read');
});

test('ConfinedFs.hashSmallFiles refuses a path through a linked folder and reads nothing there', async (t) => {
  const { root, at } = await lab(t);
  const fs = new ConfinedFs(new NodeFs(), root);
  const got = await fs.hashSmallFiles!([at('away/secret.txt'), at('photos/a.jpg'), at('away/secret.txt')], 1 << 20);
  assert.deepEqual(got[0], { stat: null, code: 'ESYMLINK', link: at('away') }, 'the link met is named');
  assert.deepEqual(got[2], { stat: null, code: 'ESYMLINK', link: at('away') });
  assert.equal(got[1]!.stat?.type, 'file');
  assert.equal(got[1]!.hash, await hashStream(new NodeFs().readStream(at('photos/a.jpg'))));
});

test('the batch call exists only where the filesystem below has it; the watchdog passes it through', async (t) => {
  const { root, at } = await lab(t);
  assert.equal(new ConfinedFs(new SlowFs(new NodeFs(), {}), root).hashSmallFiles, undefined, 'a slowed drive: callers fall back to one path at a time');
  assert.equal(new WatchdogFs(new SlowFs(new NodeFs(), {}), { stallMs: 1000 }).hashSmallFiles, undefined);
  const fs = new WatchdogFs(new ConfinedFs(new NodeFs(), root), { stallMs: 1000 });
  const [a] = await fs.hashSmallFiles!([at('photos/a.jpg')], 1 << 20);
  assert.equal(a!.stat?.size, 5000);
});

test('NodeFs.statEntries of a big folder (one worker call) says what stat() says, null for a name gone', async (t) => {
  const { root, at } = await lab(t);
  for (let i = 0; i < 40; i++) await writeFile(at(`photos/${i}.jpg`), 'x'.repeat(i));
  const fs = new NodeFs();
  const names = [...Array.from({ length: 40 }, (_, i) => `${i}.jpg`), 'link.jpg', 'pipe', 'gone.jpg', 'a.jpg'];
  const got = await fs.statEntries(join(root, 'photos'), names);
  assert.equal(got.length, names.length);
  for (const [i, n] of names.entries()) assert.deepEqual(got[i], await fs.stat(at(`photos/${n}`)).catch(() => null), n);
  assert.equal(got[names.indexOf('gone.jpg')], null);
  assert.equal(got[names.indexOf('link.jpg')]!.type, 'other', 'a link is not followed');
});

test('writeFileBulk lands a file as createAtomic does (time, mode, atomic rename) and refuses a linked folder', async (t) => {
  const { root, at } = await lab(t);
  await mkdir(at('.nas-mirror/tmp'), { recursive: true });
  const fs = new ConfinedFs(new NodeFs(), root);
  const mtimeMs = 1620284889123.456;
  const s = await fs.writeFileBulk!(at('photos/new.jpg'), at('.nas-mirror/tmp'), Buffer.from('new photo'), { mtimeMs, mode: 0o640 });
  assert.deepEqual(s, await fs.stat(at('photos/new.jpg')), 'the stat it returns is the landed file\'s');
  assert.equal(s.mode, 0o640);
  assert.equal(Math.round(s.mtimeMs * 1000), Math.round(mtimeMs * 1000), 'the time to the microsecond');
  assert.equal(await hashStream(fs.readStream(at('photos/new.jpg'))), (await fs.hashSmallFiles!([at('photos/new.jpg')], 100))[0]!.hash);
  await fs.writeFileBulk!(at('photos/a.jpg'), at('.nas-mirror/tmp'), Buffer.from('replaced'), {});
  assert.equal(Buffer.from(await fs.readFile(at('photos/a.jpg'))).toString(), 'replaced');
  await assert.rejects(fs.writeFileBulk!(at('away/planted.txt'), at('.nas-mirror/tmp'), Buffer.from('x'), {}), (e: Error & { code?: string }) => e.code === 'ESYMLINK' && e.message.includes('"away"'));
  assert.deepEqual(await readdir(at('.nas-mirror/tmp')), [], 'no temp file is left behind');
  await assert.rejects(stat(join(root, '..', 'outside', 'planted.txt')), 'nothing was written outside');
  const [r] = await fs.readSmallFiles!([at('photos/new.jpg')], 100);
  assert.equal(Buffer.from(r!.data!).toString(), 'new photo', 'readSmallFiles hands the bytes');
});

test('writeFilesBulk writes many files in one call, each answering for itself; readSmallFiles hands each one\'s bytes', async (t) => {
  const { root, at } = await lab(t);
  await mkdir(at('.nas-mirror/tmp'), { recursive: true });
  const fs = new WatchdogFs(new ConfinedFs(new NodeFs(), root), { stallMs: 10_000 });
  const mtimeMs = 1620284889123.456;
  const names = Array.from({ length: 40 }, (_, i) => `photos/n${i}.jpg`);
  const files: BulkFile[] = names.map((n, i) => ({ target: at(n), data: Buffer.from(`photo ${i} `.repeat(i)), attrs: { mtimeMs: mtimeMs + i, mode: 0o600 + (i % 8) } }));
  files.splice(7, 0, { target: at('away/planted.txt'), data: Buffer.from('x'), attrs: {} }); // through a link
  const out = await fs.writeFilesBulk!(files, at('.nas-mirror/tmp'));
  assert.equal(out.length, files.length);
  assert.equal(out[7]!.stat, null);
  assert.equal(out[7]!.code, 'ESYMLINK', 'the file through a link is refused');
  await assert.rejects(stat(join(root, '..', 'outside', 'planted.txt')), 'nothing was written outside');
  const back = await fs.readSmallFiles!(names.map(at), 1000);
  names.forEach((n, i) => {
    const w = out[i < 7 ? i : i + 1]!;
    assert.deepEqual(w.stat, back[i]!.stat, `${n}: the stat it returns is the landed file's`);
    assert.equal(w.stat!.mode, 0o600 + (i % 8));
    assert.equal(Math.round(w.stat!.mtimeMs * 1000), Math.round((mtimeMs + i) * 1000), `${n}: the time to the microsecond`);
    assert.equal(Buffer.from(back[i]!.data!).toString(), `photo ${i} `.repeat(i), `${n}: its own bytes, not a neighbour's`);
  });
  assert.deepEqual(await readdir(at('.nas-mirror/tmp')), [], 'no temp file is left behind');
});
