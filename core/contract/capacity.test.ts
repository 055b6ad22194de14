// The capacity rule the dashboard and the desktop notice share: each member's drive, and 90 % / 95 % warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriveInfo, MemberStatus, MirrorStatus } from './types.ts';
import { capacityWarning, memberSpace } from './capacity.ts';

const GiB = 1024 ** 3;
const drive = (mountPoint: string, sizeBytes: number, freeBytes: number, o: Partial<DriveInfo> = {}): DriveInfo =>
  ({ mountPoint, device: mountPoint, filesystem: 'ext4', sizeBytes, freeBytes, removable: false, readOnly: false, system: false, ...o });
const member = (id: string, path: string, o: Partial<MemberStatus> = {}): MemberStatus =>
  ({ id, label: id, path, writeMostly: false, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0, ...o });
const mirror = (...members: MemberStatus[]): MirrorStatus => ({ id: 'm', label: 'Home', state: 'clean', members });

test('a member is on the drive with the longest mount point holding its folder, not a prefix of its name', () => {
  const drives = [drive('/', 100 * GiB, 50 * GiB), drive('/mnt/usb', 10 * GiB, 1 * GiB), drive('/mnt/usb2', 20 * GiB, 20 * GiB)];
  assert.equal(memberSpace(member('a', '/mnt/usb/NAS'), drives)?.sizeBytes, 10 * GiB);
  assert.equal(memberSpace(member('b', '/mnt/usb2'), drives)?.freeBytes, 20 * GiB);
  assert.equal(memberSpace(member('c', '/mnt/usbx/NAS'), drives)?.sizeBytes, 100 * GiB, 'on /, not /mnt/usb');
  assert.equal(memberSpace(member('d', 'E:\\NAS'), [drive('e:\\', GiB, GiB / 2)])?.usedFraction, 0.5);
  assert.equal(memberSpace(member('e', '/mnt/usb/NAS'), [drive('/mnt/usb', 0, 0, { notResponding: true })]), null);
});

test('no warning below 90 %; a warning from 90 %; an alarm from 95 % — of the fullest member drive', () => {
  const ssd = member('SSD', '/ssd/NAS'), usb = member('USB', '/usb/NAS', { writeMostly: true });
  const at = (usedSsd: number, usedUsb: number) => capacityWarning(mirror(ssd, usb),
    [drive('/ssd', 1000 * GiB, (1 - usedSsd) * 1000 * GiB), drive('/usb', 100 * GiB, (1 - usedUsb) * 100 * GiB)]);
  assert.equal(at(0.5, 0.89), null);
  const warn = at(0.5, 0.9);
  assert.equal(warn?.level, 'warn');
  assert.equal(warn?.memberId, 'USB');
  assert.match(warn!.text, /^USB is 90 % full \(10 GB free\).*Free some space on it/);
  const alarm = at(0.96, 0.91);
  assert.equal(alarm?.level, 'alarm');
  assert.equal(alarm?.label, 'SSD');
  assert.match(alarm!.text, /Writes will soon be refused/);
});

test('a drive that is away or failed does not count; no drive known, no warning', () => {
  const usb = member('USB', '/usb/NAS', { state: 'removed' });
  assert.equal(capacityWarning(mirror(member('SSD', '/ssd'), usb), [drive('/ssd', 100, 50), drive('/usb', 100, 1)]), null);
  assert.equal(capacityWarning(mirror(member('SSD', '/ssd')), []), null);
  assert.equal(capacityWarning(null, [drive('/ssd', 100, 1)]), null);
});
