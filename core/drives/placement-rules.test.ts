// The placement rules on hand-made facts: every rule, including FAT32's 4 GiB limit that no loop image here can show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriveInfo } from '../contract/types.ts';
import { contentConflicts, evaluatePlacement, fullThreshold, type FolderFacts } from './placement-rules.ts';
import { rulesFor, FAT32_MAX_FILE } from './fs-rules.ts';

const GiB = 1024 ** 3;
const drive = (mountPoint: string, o: Partial<DriveInfo> = {}): DriveInfo => ({
  mountPoint, device: `/dev/${mountPoint.split('/').pop() || 'root'}`, filesystem: 'ext4', sizeBytes: 1000 * GiB,
  freeBytes: 500 * GiB, removable: false, readOnly: false, system: false, ...o,
});
const folder = (path: string, d: DriveInfo | undefined, o: Partial<FolderFacts> = {}): FolderFacts =>
  ({ path, realPath: path, kind: 'dir', drive: d, files: [], ...o });
const codes = (facts: FolderFacts[], ctx = {}) => evaluatePlacement(facts, ctx).map((i) => `${i.memberPath}:${i.severity}:${i.code}`);

const ssd = drive('/mnt/ssd');
const usb = drive('/media/usb', { removable: true });

test('two clean folders on two drives raise nothing', () => {
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', usb)]), []);
});

test('same folder twice and nested folders are errors; two folders on one drive is a warning', () => {
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/mnt/ssd/m', ssd)]), ['/mnt/ssd/m:error:SAME_FOLDER']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/mnt/ssd/m/inner', ssd)]), ['/mnt/ssd/m/inner:error:NESTED']);
  assert.deepEqual(codes([folder('/mnt/ssd/m/inner', ssd), folder('/mnt/ssd/m', ssd)]), ['/mnt/ssd/m/inner:error:NESTED']);
  assert.deepEqual(codes([folder('/mnt/ssd/a', ssd), folder('/mnt/ssd/b', ssd)]), ['/mnt/ssd/b:warning:SAME_DRIVE']);
  // "/mnt/ssd/ab" is not inside "/mnt/ssd/a".
  assert.deepEqual(codes([folder('/mnt/ssd/a', ssd), folder('/mnt/ssd/ab', ssd)]), ['/mnt/ssd/ab:warning:SAME_DRIVE']);
});

test('system drive warns; read-only and full drives are errors; a file is not a folder', () => {
  const sys = drive('/', { system: true });
  assert.deepEqual(codes([folder('/home/u/m', sys), folder('/media/usb/m', usb)]), ['/home/u/m:warning:SYSTEM_DRIVE']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', { ...usb, readOnly: true })]), ['/media/usb/m:error:READ_ONLY']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', { ...usb, freeBytes: 10 * 2 ** 20 })]), ['/media/usb/m:error:DRIVE_FULL']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', usb, { kind: 'file' })]), ['/media/usb/m:error:NOT_A_FOLDER']);
});

test('full means under 1% of the drive, between 1 MiB and 64 MiB', () => {
  assert.equal(fullThreshold(4000 * GiB), 64 * 2 ** 20);
  assert.equal(fullThreshold(64 * 2 ** 20), 2 ** 20);
  assert.equal(fullThreshold(2 * GiB), 2 * GiB / 100);
});

test('a drive with less free space than the first folder\'s data is too small, counting every new folder on it', () => {
  const data = [{ path: 'big.bin', size: 300 * GiB }];
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd, { files: data }), folder('/media/usb/m', { ...usb, freeBytes: 200 * GiB })]),
    ['/media/usb/m:error:TOO_SMALL']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd, { files: data }), folder('/media/usb/a', usb), folder('/media/usb/b', usb)]),
    ['/media/usb/a:error:TOO_SMALL', '/media/usb/b:warning:SAME_DRIVE', '/media/usb/b:error:TOO_SMALL']);
});

test('two folders holding files: the user chooses whose files the mirror keeps; the other must be empty', () => {
  const two = [folder('/mnt/ssd/m', ssd, { files: [{ path: 'a', size: 1 }] }), folder('/media/usb/m', usb, { files: [{ path: 'b', size: 1 }] })];
  assert.deepEqual(codes(two), ['/mnt/ssd/m:error:SEVERAL_HOLD_FILES', '/media/usb/m:error:SEVERAL_HOLD_FILES']);
  assert.deepEqual(codes(two, { adoptFrom: 1 }), ['/mnt/ssd/m:error:NOT_EMPTY']);
  assert.match(evaluatePlacement(two, { adoptFrom: 0 })[0]!.message, /starts from the files in "\/mnt\/ssd\/m".*never overwritten/);
  // The files may be on the second drive: they are the source, and the first folder, empty, receives them.
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', usb, { files: [{ path: 'b', size: 1 }] })]), []);
  // Adding to an open mirror: a folder with files of its own is refused.
  assert.deepEqual(codes([folder('/media/usb/m', usb, { files: [{ path: 'b', size: 1 }] })], { adding: true }), ['/media/usb/m:error:NOT_EMPTY']);
});

test('another mirror\'s member is foreign; members of one mirror being assembled, or of the open mirror, are not', () => {
  const m = (mirrorId: string, memberId: string) => ({ mirrorId, memberId });
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd), folder('/media/usb/m', usb, { member: m('X', '1') })]), ['/media/usb/m:error:FOREIGN_MEMBER']);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd, { member: m('X', '1') }), folder('/media/usb/m', usb, { member: m('X', '2') })]), []);
  assert.deepEqual(codes([folder('/mnt/ssd/m', ssd, { member: m('X', '1') }), folder('/media/usb/m', usb, { member: m('Y', '2') })]),
    ['/mnt/ssd/m:error:FOREIGN_MEMBER', '/media/usb/m:error:FOREIGN_MEMBER']);
  assert.deepEqual(codes([folder('/media/usb/m', usb, { member: m('X', '2') })], { mirrorId: 'X' }), []);
  assert.deepEqual(codes([folder('/media/usb/m', usb, { member: m('Y', '2') })], { mirrorId: 'X' }), ['/media/usb/m:error:FOREIGN_MEMBER']);
});

test('FAT32 refuses a file of 4 GiB and names it; exFAT takes it', () => {
  const files = [{ path: 'video/holiday.mkv', size: 4 * GiB }, { path: 'ok.bin', size: FAT32_MAX_FILE }];
  const fat = contentConflicts(files, rulesFor('vfat'), 'FAT32');
  assert.deepEqual(fat.map((c) => c.code), ['FILE_TOO_BIG']);
  assert.match(fat[0]!.message, /"video\/holiday\.mkv"/);
  assert.doesNotMatch(fat[0]!.message, /ok\.bin/);
  assert.deepEqual(contentConflicts(files, rulesFor('exfat'), 'exFAT'), []);
  const issues = evaluatePlacement([folder('/mnt/ssd/m', ssd, { files }), folder('/media/usb/m', { ...usb, filesystem: 'vfat' })]);
  assert.deepEqual(issues.map((i) => i.code), ['FILE_TOO_BIG']);
});

test('exFAT/NTFS: illegal characters, trailing dots and case-only differences are named', () => {
  const files = [{ path: 'Photos', size: 0 }, { path: 'Photos/a.jpg', size: 1 }, { path: 'photos', size: 0 }, { path: 'photos/b.jpg', size: 1 },
    { path: 'notes: draft.txt', size: 1 }, { path: 'ends with dot.', size: 1 }, { path: 'README', size: 1 }, { path: 'readme', size: 1 }];
  for (const fs of ['exfat', 'ntfs', 'vfat']) {
    const c = contentConflicts(files, rulesFor(fs), fs);
    assert.deepEqual(c.map((x) => x.code), ['ILLEGAL_NAME', 'NAME_COLLISION'], fs);
    assert.match(c[0]!.message, /"notes: draft\.txt", "ends with dot\."/);
    assert.match(c[1]!.message, /"Photos" and "photos"/);
    assert.match(c[1]!.message, /"README" and "readme"/);
  }
  assert.deepEqual(contentConflicts(files, rulesFor('ext4'), 'ext4'), []);
  // APFS/HFS+ fold case but take ':' through the POSIX layer.
  assert.deepEqual(contentConflicts(files, rulesFor('apfs'), 'apfs').map((x) => x.code), ['NAME_COLLISION']);
});
