// Placement checks on real loop-mounted drives: every rule the picker relies on, read from the real filesystems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, statfs, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlacement, listDrives } from '../../core/drives/index.ts';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';

const codesOf = async (paths: string[], ctx = {}) =>
  (await checkPlacement(paths.map((path) => ({ path })), ctx)).map((i) => `${i.memberPath}:${i.severity}:${i.code}`).sort();

test('placement on real drives: same folder, nested, same drive, foreign member, read-only, full, not empty', async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const a = await lab.mountExt4Image('Drive A');
  const b = await lab.mountExt4Image('Drive B');
  const A = (p: string) => join(a.mountPoint, p);
  const B = (p: string) => join(b.mountPoint, p);
  await mkdir(A('m'));
  await mkdir(B('m'));
  assert.deepEqual(await codesOf([A('m'), B('m')]), [], 'two empty folders on two drives are fine');
  assert.deepEqual(await codesOf([A('m'), B('new folder, not yet created')]), []);

  await symlink(A('m'), A('link'));
  assert.deepEqual(await codesOf([A('m'), A('link')]), [`${A('link')}:error:SAME_FOLDER`], 'a symlink is the same folder');
  assert.deepEqual(await codesOf([A('m'), A('m/inner')]), [`${A('m/inner')}:error:NESTED`]);
  assert.deepEqual(await codesOf([A('m'), A('other')]), [`${A('other')}:warning:SAME_DRIVE`]);

  await mkdir(B('theirs/.nas-mirror'), { recursive: true });
  await writeFile(B('theirs/.nas-mirror/superblock.json'), JSON.stringify({ mirrorId: 'someone-else', memberId: 'x' }));
  assert.deepEqual(await codesOf([A('m'), B('theirs')]), [`${B('theirs')}:error:FOREIGN_MEMBER`]);
  assert.deepEqual(await codesOf([B('theirs')], { mirrorId: 'someone-else' }), [], 'a returning member of the open mirror');

  await writeFile(A('m/photo.jpg'), 'x');
  await writeFile(B('m/stray.txt'), 'y');
  assert.deepEqual(await codesOf([A('m'), B('m')]), [`${A('m')}:error:SEVERAL_HOLD_FILES`, `${B('m')}:error:SEVERAL_HOLD_FILES`], 'both hold files: the user must choose');
  assert.deepEqual(await codesOf([A('m'), B('m')], { adoptFrom: 0 }), [`${B('m')}:error:NOT_EMPTY`]);
  await rm(B('m/stray.txt'));
  // What a file manager leaves in a folder (.DS_Store, Thumbs.db) is not the user's data.
  await writeFile(B('m/.DS_Store'), 'finder');
  await writeFile(B('m/Thumbs.db'), 'explorer');
  assert.deepEqual(await codesOf([A('m'), B('m')]), [], 'a folder holding only system names is empty');

  execFileSync('mount', ['-o', 'remount,ro', b.mountPoint]);
  assert.deepEqual(await codesOf([A('m'), B('m')]), [`${B('m')}:error:READ_ONLY`]);
  execFileSync('mount', ['-o', 'remount,rw', b.mountPoint]);

  // Fill B until under 1 MiB is left, with real blocks (fallocate), as a full USB disk is.
  const filler = await open(B('filler'), 'w');
  await filler.close();
  execFileSync('fallocate', ['-l', `${(await freeOf(b.mountPoint)) - 512 * 1024}`, B('filler')]);
  assert.deepEqual(await codesOf([A('m'), B('m')]), [`${B('m')}:error:DRIVE_FULL`]);
});

test('placement: a drive smaller than the data, and an exFAT drive that cannot hold some names', async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const src = await lab.mountExt4Image('source');
  const usb = await lab.mountExfatImage('My Passport');
  const S = (p: string) => join(src.mountPoint, p);
  await mkdir(S('m/Photos'), { recursive: true });
  await mkdir(S('m/photos'));
  await writeFile(S('m/Photos/a.jpg'), 'a');
  await writeFile(S('m/photos/b.jpg'), 'b');
  await writeFile(S('m/notes: draft?.txt'), 'c');
  const target = join(usb.mountPoint, 'NAS Mirror');
  const issues = await checkPlacement([{ path: S('m') }, { path: target }]);
  assert.deepEqual(issues.map((i) => i.code).sort(), ['ILLEGAL_NAME', 'NAME_COLLISION']);
  assert.ok(issues.every((i) => i.memberPath === target && i.severity === 'error'));
  assert.match(issues.find((i) => i.code === 'ILLEGAL_NAME')!.message, /notes: draft\?\.txt/);
  assert.match(issues.find((i) => i.code === 'NAME_COLLISION')!.message, /"Photos" and "photos"/);

  await rm(S('m/photos'), { recursive: true });
  await rm(S('m/notes: draft?.txt'));
  // A sparse 1 GiB file: the mirror's data is its size, not the blocks it happens to use on the source.
  await writeFile(S('m/Photos/video.mkv'), '');
  await truncate(S('m/Photos/video.mkv'), 1024 ** 3);
  const small = await checkPlacement([{ path: S('m') }, { path: target }]);
  assert.deepEqual(small.map((i) => `${i.memberPath}:${i.code}`), [`${target}:TOO_SMALL`]);
});

test('placement: a folder on the system drive gets a warning', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-place-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const drives = await listDrives();
  const sys = drives.filter((d) => d.system && (dir === d.mountPoint || dir.startsWith(d.mountPoint.replace(/\/$/, '') + '/')));
  if (sys.length === 0) return t.skip(`${dir} is not on a drive listed as the system drive here`);
  const issues = await checkPlacement([{ path: join(dir, 'a') }], { drives });
  assert.deepEqual(issues.map((i) => `${i.severity}:${i.code}`), ['warning:SYSTEM_DRIVE']);
});

async function freeOf(mountPoint: string): Promise<number> {
  const s = await statfs(mountPoint);
  return s.bavail * s.bsize;
}
