// Unmounting a drive that is held for a moment only (CI saw `findmnt` holding a loop drive as eject ran): the unmount
// is tried again and succeeds once the holder lets go; a holder that stays is named in the EBUSY error.
// Real umount on a real loop-mounted ext4 image, held by a real open file of this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeCommandRunner, type CommandRunner } from '../../core/drives/command-runner.ts';
import { unmountDrive } from '../../core/drives/unmount.ts';
import type { DriveInfo } from '../../core/contract/types.ts';
import { isMountPoint, loopLab, loopUnsupported } from '../helpers/loop.ts';

const why = await loopUnsupported();
const isUnmount = (cmd: string, args: readonly string[]) => cmd === 'umount' || (cmd === 'udisksctl' && args[0] === 'unmount');
const driveAt = (mountPoint: string, device: string): DriveInfo => ({ mountPoint, device, filesystem: 'ext4', sizeBytes: 1, freeBytes: 1, removable: true, readOnly: false, system: false });

test('a drive held for a moment is unmounted once its holder lets go', { skip: why ?? false }, async (t) => {
  const lab = await loopLab(t);
  const d = await lab.mountExt4Image('held briefly');
  await writeFile(join(d.mountPoint, 'open.txt'), 'x');
  const held = await open(join(d.mountPoint, 'open.txt'), 'r');
  let busySeen = 0;
  // The holder lets go right after the first unmount found the drive busy: the retry must then succeed.
  const runner: CommandRunner = {
    async run(cmd, args, o) {
      const r = await nodeCommandRunner.run(cmd, args, o);
      if (isUnmount(cmd, args) && r.code !== 0 && busySeen++ === 0) await held.close();
      return r;
    },
  };
  await unmountDrive(runner, driveAt(d.mountPoint, d.device));
  assert.equal(busySeen, 1, 'the first try met the open file');
  assert.equal(await isMountPoint(d.mountPoint), false);
});

test('a holder that stays is named in the EBUSY error after the retries', { skip: why ?? false }, async (t) => {
  const lab = await loopLab(t);
  const d = await lab.mountExt4Image('held');
  await writeFile(join(d.mountPoint, 'open.txt'), 'x');
  const held = await open(join(d.mountPoint, 'open.txt'), 'r');
  t.after(() => held.close().catch(() => {}));
  let tries = 0;
  const runner: CommandRunner = { run: (cmd, args, o) => { if (isUnmount(cmd, args)) tries++; return nodeCommandRunner.run(cmd, args, o); } };
  await assert.rejects(unmountDrive(runner, driveAt(d.mountPoint, d.device), {}, [10, 10]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'EBUSY');
    assert.match(e.message, /in use by .*node|a program still has a file open/);
    return true;
  });
  assert.equal(tries, 3, 'one try and two retries');
  assert.equal(await isMountPoint(d.mountPoint), true, 'still mounted, nothing lost');
  await held.close();
});
