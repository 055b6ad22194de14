// What programs are told through the FUSE mount when the mirror refuses or cannot: links, hard links and device files
// (EPERM), names an exFAT member cannot hold (EINVAL) or too long (ENAMETOOLONG), a full member (ENOSPC, and df shows
// the smallest member), rmdir of a non-empty folder, a stopped mirror (EIO). Root and /dev/fuse needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { mountMirror, type MirrorMount } from '../../core/app/fuse/mount.ts';
import { FoldingFs } from '../helpers/fs/folding-fs.ts';
import { forceUnmount, fuseSkipReason, reportStall, sh, shOk, watchMainThread } from '../helpers/fuse.ts';

const skip = await fuseSkipReason();
const run = promisify(execFile);

/** A mirror whose USB member compares names as exFAT does; `fastSize`: the SSD is a tmpfs of that size. */
async function mounted(t: { after(fn: () => Promise<void>): void }, o: { fastSize?: string } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-fuse-err-'));
  const ssd = join(dir, 'ssd'), usb = join(dir, 'usb');
  let m: Mirror | undefined;
  let mount: MirrorMount | undefined;
  // One hook, in order: unmount, stop the mirror, unmount the tmpfs, remove the folders.
  t.after(async () => {
    await mount?.unmount();
    await forceUnmount(join(dir, 'mnt'));
    await m?.stop().catch(() => {});
    if (o.fastSize) await run('umount', ['-l', ssd]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  if (o.fastSize) {
    await mkdir(ssd);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${o.fastSize}`, 'tmpfs', ssd]);
  }
  m = await createMirror({
    members: [{ path: ssd, label: 'SSD' }, { path: usb, label: 'USB', writeMostly: true, fs: new FoldingFs(new NodeFs(), usb) } as EngineMemberSpec],
    watchOutside: false,
  });
  const mirror = m;
  watchMainThread();
  mount = await mountMirror({ dir: join(dir, 'mnt'), mirror: () => mirror, fallbackStagingDir: join(dir, 'staging'), log: reportStall });
  return { m: mirror, mnt: mount.dir, ssd, usb };
}

const failsWith = async (command: string, message: RegExp) => {
  const r = await sh(command);
  assert.notEqual(r.code, 0, `${command} should fail`);
  assert.match(r.stderr, message, command);
};

test('links, hard links and device files are refused (EPERM); readlink finds no link', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { mnt } = await mounted(t);
  await shOk(`echo hi > ${mnt}/a.txt`);
  await failsWith(`ln -s a.txt ${mnt}/link`, /Operation not permitted/);
  await failsWith(`ln ${mnt}/a.txt ${mnt}/hard`, /Operation not permitted/);
  await failsWith(`mkfifo ${mnt}/fifo`, /Operation not permitted/);
  const rl = await sh(`readlink ${mnt}/a.txt`);
  assert.deepEqual([rl.code, rl.stdout], [1, ''], 'a.txt is no link');
  assert.equal((await shOk(`ls -A ${mnt}`)).trim(), 'a.txt', 'nothing else was made');
});

test('names the mirror cannot hold: EINVAL at create, ENAMETOOLONG past 255 bytes, and .nas-mirror is not there', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { mnt } = await mounted(t);
  await failsWith(`touch '${mnt}/what?.txt'`, /Invalid argument/);
  await failsWith(`mkdir '${mnt}/trailing.'`, /Invalid argument/);
  await failsWith(`touch ${mnt}/${'n'.repeat(256)}`, /File name too long/);
  await failsWith(`mkdir ${mnt}/.nas-mirror`, /Invalid argument/);
  await failsWith(`ls ${mnt}/.nas-mirror`, /No such file or directory/);
  await shOk(`echo ok > '${mnt}/fine name.txt'`);
  assert.equal((await shOk(`ls -A ${mnt}`)).trim(), 'fine name.txt');
});

test('rmdir and rename keep POSIX rules: non-empty folders stay, a file replaces a file', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { mnt, ssd } = await mounted(t);
  await shOk(`mkdir -p ${mnt}/d/e && echo 1 > ${mnt}/d/e/f && mkdir ${mnt}/empty && echo a > ${mnt}/a && echo b > ${mnt}/b`);
  await failsWith(`rmdir ${mnt}/d`, /Directory not empty/);
  await failsWith(`mv -T ${mnt}/empty ${mnt}/d`, /not empty|exists/i);
  await shOk(`mv ${mnt}/a ${mnt}/b`);
  assert.equal((await shOk(`cat ${mnt}/b`)).trim(), 'a');
  await shOk(`mv -T ${mnt}/d ${mnt}/empty`); // a folder may replace an empty folder
  assert.equal((await shOk(`cat ${mnt}/empty/e/f`)).trim(), '1');
  await shOk(`rm -r ${mnt}/empty && rmdir ${mnt}/../mnt/. 2>/dev/null || true`);
  assert.equal((await shOk(`ls -A ${ssd}`)).split('\n').filter((n) => n && n !== '.nas-mirror').join(','), 'b');
});

test('a full member: ENOSPC, nothing half-written; df shows the smallest member', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { m, mnt } = await mounted(t, { fastSize: '8m' });
  const [size] = (await shOk(`df -B1 --output=size ${mnt} | tail -1`)).trim().split(/\s+/);
  assert.ok(Number(size) <= 8 << 20 && Number(size) > 4 << 20, `df size ${size}: the 8 MiB member's`);
  await shOk(`head -c 1000000 /dev/urandom > ${mnt}/small.bin`);
  await failsWith(`head -c 12000000 /dev/urandom | dd of=${mnt}/big.bin bs=1M iflag=fullblock status=none`, /No space left on device/);
  // The mirror holds the last version it acknowledged: the empty file dd created (dd, like a shell redirection,
  // closes a duplicate of the new file first, which commits it), never a part of what did not fit.
  assert.equal((await m.stat('big.bin')).size, 0);
  assert.equal((await shOk(`stat -c %s ${mnt}/small.bin`)).trim(), '1000000');
});

test('a stopped mirror answers EIO, never an empty folder or old data', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { m, mnt } = await mounted(t);
  await shOk(`echo hello > ${mnt}/a.txt`);
  await m.stop();
  await failsWith(`cat ${mnt}/a.txt`, /Input\/output error/);
  await failsWith(`touch ${mnt}/b.txt`, /Input\/output error/);
});
