// macOS and Windows listings on recorded command output: diskutil info -plist, df -P, and one PowerShell JSON call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assembleMacDrives, parseDiskutilInfo } from './macos-drives.ts';
import { parseWindowsVolumes, WINDOWS_LIST_SCRIPT } from './windows-drives.ts';
import { dfLikeNodeDiskInfo } from './fixtures/df-rows.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('macOS: "/Volumes/My Passport" comes back whole from diskutil although df cut it', () => {
  const df = dfLikeNodeDiskInfo(fixture('macos-df.txt'), 512);
  const row = df.find((d) => d.filesystem === '/dev/disk4s1')!;
  assert.equal(row.mounted, '/Volumes/My');
  const drive = parseDiskutilInfo(fixture('macos-diskutil-my-passport.plist'), row)!;
  assert.equal(drive.mountPoint, '/Volumes/My Passport');
  assert.equal(drive.label, 'My Passport');
  assert.equal(drive.filesystem, 'exfat');
  assert.equal(drive.sizeBytes, 2000394125312);
  assert.equal(drive.freeBytes, 1567680888832);
  assert.equal(drive.removable, true);
  assert.equal(drive.rotational, true);
  assert.equal(drive.readOnly, false);
});

test('macOS: "/" is the system drive, writable through the Data volume, with the container\'s free space', () => {
  const df = dfLikeNodeDiskInfo(fixture('macos-df.txt'), 512);
  const vols = [
    parseDiskutilInfo(fixture('macos-diskutil-root.plist'), df.find((d) => d.mounted === '/')),
    parseDiskutilInfo(fixture('macos-diskutil-data.plist'), df.find((d) => d.mounted === '/System/Volumes/Data')),
    parseDiskutilInfo(fixture('macos-diskutil-my-passport.plist'), df.find((d) => d.filesystem === '/dev/disk4s1')),
  ];
  const drives = assembleMacDrives(vols);
  assert.deepEqual(drives.map((d) => d.mountPoint), ['/', '/Volumes/My Passport'], '/System/Volumes/* are hidden');
  const root = drives[0]!;
  assert.equal(root.system, true);
  assert.equal(root.readOnly, false, 'the sealed snapshot is read-only, but /Users lives on the writable Data volume');
  assert.equal(root.freeBytes, 290311495680);
  assert.equal(root.removable, false);
  assert.equal(root.rotational, false);
  assert.equal(drives[1]!.system, false);
});

test('Windows: volumes joined to partitions, disks and physical disks', () => {
  const drives = parseWindowsVolumes(fixture('windows-volumes.json'));
  assert.deepEqual(drives.map((d) => d.mountPoint), ['C:\\', 'D:\\', 'E:\\', 'F:\\'], 'the CD-ROM is left out');
  const [c, d, e, f] = drives;
  assert.equal(c!.system, true);
  assert.equal(c!.rotational, false);
  assert.equal(d!.system, false);
  assert.equal(d!.removable, false);
  assert.equal(d!.rotational, true);
  assert.equal(e!.label, 'My Passport');
  assert.equal(e!.filesystem, 'exfat');
  assert.equal(e!.removable, true, 'a USB disk that Windows calls Fixed is still removable');
  assert.equal(e!.freeBytes, 1567680888832);
  assert.equal(f!.filesystem, 'fat32');
  assert.equal(f!.readOnly, true);
  assert.equal(f!.rotational, undefined);
  assert.match(e!.device, /^\\\\\?\\Volume\{/);
});

test('Windows PowerShell 5.1: single objects instead of arrays, enums as numbers, a BOM', () => {
  const drives = parseWindowsVolumes('\uFEFF' + fixture('windows-volumes-ps51-single.json'));
  assert.equal(drives.length, 1);
  assert.deepEqual({ ...drives[0], device: undefined }, {
    mountPoint: 'E:\\', device: undefined, filesystem: 'exfat', sizeBytes: 128035676160, freeBytes: 127941722112,
    removable: true, readOnly: false, system: false, label: 'BACKUP', rotational: false,
  });
});

test('Windows list script casts enums to strings and keeps lists as arrays', () => {
  assert.match(WINDOWS_LIST_SCRIPT, /\[string\]\$_\.FileSystemType/);
  assert.match(WINDOWS_LIST_SCRIPT, /\[string\]\$_\.BusType/);
  assert.match(WINDOWS_LIST_SCRIPT, /ConvertTo-Json -Depth 4 -Compress/);
  assert.equal((WINDOWS_LIST_SCRIPT.match(/= @\(/g) ?? []).length, 4);
});
