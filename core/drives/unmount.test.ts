// Unmount command plans per platform, busy detection, and the holder parsers (lsof, fuser, diskutil).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriveInfo } from '../contract/types.ts';
import { isBusyFailure, linuxUnmountPlan, macUnmountPlan, parseDiskutilDissenters, windowsUnmountPlan } from './unmount.ts';
import { describeHolders, parseFuserVerbose, parseLsofFields } from './holders.ts';

const drive = (o: Partial<DriveInfo>): DriveInfo => ({ mountPoint: '/media/u/My Passport', device: '/dev/sdb1', filesystem: 'ext4',
  sizeBytes: 1, freeBytes: 1, removable: true, readOnly: false, system: false, ...o });

test('Linux with udisks: unmount then power off the device; a loop device is not powered off', () => {
  assert.deepEqual(linuxUnmountPlan(drive({}), 'ext4', { udisks: true, fusermount3: true }), [
    { cmd: 'udisksctl', args: ['unmount', '--no-user-interaction', '-b', '/dev/sdb1'] },
    { cmd: 'udisksctl', args: ['power-off', '--no-user-interaction', '-b', '/dev/sdb1'], optional: true },
  ]);
  assert.deepEqual(linuxUnmountPlan(drive({ device: '/dev/loop3' }), 'ext4', { udisks: true, fusermount3: true }).map((c) => c.args[0]), ['unmount']);
});

test('Linux without udisks: umount the mount point (spaces kept as one argument); FUSE through fusermount3', () => {
  assert.deepEqual(linuxUnmountPlan(drive({}), 'ext4', { udisks: false, fusermount3: true }), [{ cmd: 'umount', args: ['/media/u/My Passport'] }]);
  assert.deepEqual(linuxUnmountPlan(drive({ filesystem: 'exfat' }), 'fuseblk', { udisks: true, fusermount3: true }),
    [{ cmd: 'fusermount3', args: ['-u', '/media/u/My Passport'] }]);
  assert.deepEqual(linuxUnmountPlan(drive({}), 'fuseblk', { udisks: false, fusermount3: false }), [{ cmd: 'umount', args: ['/media/u/My Passport'] }]);
});

test('macOS: diskutil eject on the device node', () => {
  assert.deepEqual(macUnmountPlan(drive({ device: '/dev/disk4s1', mountPoint: '/Volumes/My Passport' })), [{ cmd: 'diskutil', args: ['eject', '/dev/disk4s1'] }]);
});

test('Windows: one PowerShell call that ejects by letter and waits for the volume to go; no letter, no eject', () => {
  const [step] = windowsUnmountPlan(drive({ mountPoint: 'e:\\', device: '\\\\?\\Volume{x}\\' }));
  assert.equal(step!.cmd, 'powershell.exe');
  assert.deepEqual(step!.args.slice(0, 5), ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
  const script = step!.args[5]!;
  assert.match(script, /ParseName\('E:'\)\.InvokeVerb\('Eject'\)/);
  assert.match(script, /Get-Volume -DriveLetter 'E'/);
  assert.match(script, /exit 5/);
  // Only the letter reaches the script, whatever else the mount point holds.
  assert.doesNotMatch(windowsUnmountPlan(drive({ mountPoint: "F:\\a'; Remove-Item x" }))[0]!.args[5]!, /Remove-Item/);
  assert.throws(() => windowsUnmountPlan(drive({ mountPoint: '\\\\server\\share' })), /only drives with a letter/);
});

test('busy is recognised from each tool\'s words', () => {
  assert.equal(isBusyFailure('umount: /media/u/x: target is busy.', 32, 'linux'), true);
  assert.equal(isBusyFailure('fusermount3: failed to unmount /media/u/x: Device or resource busy', 1, 'linux'), true);
  assert.equal(isBusyFailure('Error unmounting /dev/sdb1: GDBus.Error:org.freedesktop.UDisks2.Error.DeviceBusy: Error unmounting /dev/sdb1: target is busy', 1, 'linux'), true);
  assert.equal(isBusyFailure('Volume My Passport on disk4s1 failed to unmount: dissented by PID 812 (/usr/bin/vim)', 1, 'darwin'), true);
  assert.equal(isBusyFailure('', 5, 'win32'), true);
  assert.equal(isBusyFailure('umount: /media/u/x: must be superuser to unmount.', 32, 'linux'), false);
});

test('holders: lsof -F fields, fuser -v table (kernel mount row skipped), diskutil dissenters', () => {
  assert.deepEqual(parseLsofFields('p4242\nctail\nf3\nn/media/u/x/a.log\np77\ncbash\nfcwd\n'), [{ pid: 4242, command: 'tail' }, { pid: 77, command: 'bash' }]);
  const fuser = [
    '                     USER        PID ACCESS COMMAND',
    '/media/u/My Passport:',
    '                     root     kernel mount /media/u/My Passport',
    '                     alice      4242 F.... tail',
    '                     alice        77 ..c.. bash',
  ].join('\n');
  assert.deepEqual(parseFuserVerbose(fuser), [{ pid: 4242, command: 'tail' }, { pid: 77, command: 'bash' }]);
  assert.deepEqual(parseDiskutilDissenters('Unmount of disk4 failed: at least one volume could not be unmounted\nVolume My Passport on disk4s1 failed to unmount: dissented by PID 812 (/Applications/Preview.app/Contents/MacOS/Preview)'),
    [{ pid: 812, command: 'Preview' }]);
  assert.equal(describeHolders([{ pid: 4242, command: 'tail' }, { pid: process.pid, command: 'node' }]), `tail (pid 4242), node (pid ${process.pid}, this app)`);
});
