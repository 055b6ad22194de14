// Discovery on real loop-mounted drives: ext4 and exFAT images, one mounted at a path with a space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listDrives } from '../../core/drives/index.ts';
import { LIST_TIMEOUT_MS } from '../../core/drives/linux-drives.ts';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';

test('listDrives sees a fresh ext4 image at a path with a space, with its size, free space and filesystem', async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const d = await lab.mountExt4Image('My Passport', { label: 'PASSPORT' });
  const drive = (await listDrives()).find((x) => x.mountPoint === d.mountPoint);
  assert.ok(drive, `no drive at ${d.mountPoint}`);
  assert.equal(drive.device, d.device);
  assert.equal(drive.filesystem, 'ext4');
  assert.equal(drive.label, 'PASSPORT');
  const s = await statfs(d.mountPoint);
  assert.equal(drive.sizeBytes, s.blocks * s.bsize);
  assert.equal(drive.freeBytes, s.bavail * s.bsize);
  assert.ok(drive.sizeBytes > 40 * 2 ** 20 && drive.sizeBytes <= 64 * 2 ** 20);
  assert.equal(drive.readOnly, false);
  assert.equal(drive.system, false);
  assert.equal(drive.member, undefined);
});

test('listDrives reports an exFAT image mounted through exfat-fuse as exfat, not fuseblk', async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const d = await lab.mountExfatImage('USB Stick', { sizeMiB: 32, label: 'STICK' });
  const drive = (await listDrives()).find((x) => x.mountPoint === d.mountPoint);
  assert.ok(drive, `no drive at ${d.mountPoint}`);
  assert.equal(drive.filesystem, 'exfat');
  assert.equal(drive.label, 'STICK');
  assert.equal(drive.sizeBytes, 32 * 2 ** 20);
  assert.ok(drive.freeBytes > 28 * 2 ** 20 && drive.freeBytes < drive.sizeBytes);
});

test('listDrives shows the system drive as system and leaves pseudo filesystems out', async () => {
  const drives = await listDrives();
  const root = drives.find((d) => d.mountPoint === '/');
  if (root) assert.equal(root.system, true);
  for (const d of drives) {
    assert.ok(!['proc', 'sysfs', 'tmpfs', 'devtmpfs', 'cgroup', 'cgroup2', 'devpts', 'overlay'].includes(d.filesystem),
      `pseudo filesystem listed: ${JSON.stringify(d)}`);
  }
});

test('listDrives recognises a member by its superblock, at the mount point or one folder down, and a read-only mount', async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const a = await lab.mountExt4Image('a');
  const b = await lab.mountExt4Image('b');
  await mkdir(join(a.mountPoint, '.nas-mirror'));
  await writeFile(join(a.mountPoint, '.nas-mirror', 'superblock.json'), JSON.stringify({ mirrorId: 'mir-1', memberId: 'mem-a' }));
  await mkdir(join(b.mountPoint, 'NAS Mirror', '.nas-mirror'), { recursive: true });
  await writeFile(join(b.mountPoint, 'NAS Mirror', '.nas-mirror', 'superblock.json'), JSON.stringify({ mirrorId: 'mir-1', memberId: 'mem-b' }));
  execFileSync('mount', ['-o', 'remount,ro', b.mountPoint]);
  const drives = await listDrives();
  assert.deepEqual(drives.find((d) => d.mountPoint === a.mountPoint)?.member, { mirrorId: 'mir-1', memberId: 'mem-a' });
  const db = drives.find((d) => d.mountPoint === b.mountPoint);
  assert.deepEqual(db?.member, { mirrorId: 'mir-1', memberId: 'mem-b' });
  assert.equal(db?.readOnly, true);
});

test('a drive that stops answering is listed as not responding, the others as usual, and the process never freezes', { timeout: 60_000 }, async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const fine = await lab.mountExt4Image('fine');
  const stuck = await lab.mountExfatImage('Stuck USB', { sizeMiB: 32 });
  const daemon = await lab.fusePid(stuck);
  // A watchdog outside this process resumes the daemon even if a regression freezes us (then the gap below fails).
  const watchdog = spawn('sh', ['-c', `sleep 30; kill -CONT ${daemon}`], { stdio: 'ignore' });
  process.kill(daemon, 'SIGSTOP');
  let maxGapMs = 0;
  let last = Date.now();
  const ticker = setInterval(() => { const now = Date.now(); maxGapMs = Math.max(maxGapMs, now - last); last = now; }, 20);
  const started = Date.now();
  let drives;
  try {
    drives = await listDrives();
  } finally {
    clearInterval(ticker);
    process.kill(daemon, 'SIGCONT');
    watchdog.kill();
  }
  const tookMs = Date.now() - started;
  const hung = drives.find((d) => d.mountPoint === stuck.mountPoint);
  assert.ok(hung, 'the stuck drive is still listed');
  assert.equal(hung.notResponding, true);
  assert.equal(hung.member, undefined);
  const ok = drives.find((d) => d.mountPoint === fine.mountPoint);
  assert.ok(ok, 'the drive that answers is listed');
  assert.equal(ok.notResponding, undefined);
  assert.equal(ok.sizeBytes, (await statfs(fine.mountPoint)).blocks * (await statfs(fine.mountPoint)).bsize);
  // A synchronous df on the stuck mount freezes us for 5 s or more; CPU starvation on a loaded machine alone can delay
  // a tick by a second, so the bound sits between the two.
  assert.ok(maxGapMs < 3000, `the event loop stalled for ${maxGapMs} ms while listing`);
  assert.ok(tookMs < 2 * LIST_TIMEOUT_MS + 5000, `listing took ${tookMs} ms`);
  t.diagnostic(`listing with a stuck drive took ${tookMs} ms; longest event-loop gap ${maxGapMs} ms`);
});
