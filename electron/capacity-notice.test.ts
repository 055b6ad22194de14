// The desktop notice for a mirror filling up: told when it crosses 90 % and again at 95 %, not at every listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noticeOf } from './health.ts';
import { HistoryFeed } from '../core/app/history-feed.ts';
import type { DriveInfo, MirrorStatus } from '../core/contract/types.ts';

const GiB = 1024 ** 3;
const usbAt = (used: number): DriveInfo[] => [
  { mountPoint: '/ssd', device: 'a', filesystem: 'ext4', sizeBytes: 1000 * GiB, freeBytes: 900 * GiB, removable: false, readOnly: false, system: false },
  { mountPoint: '/usb', device: 'b', filesystem: 'exfat', sizeBytes: 100 * GiB, freeBytes: (1 - used) * 100 * GiB, removable: true, readOnly: false, system: false },
];
const mirror: MirrorStatus = { id: 'm', label: 'Home', state: 'clean', members: [
  { id: 'ssd', label: 'Internal SSD', path: '/ssd/NAS', writeMostly: false, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0 },
  { id: 'usb', label: 'USB Backup', path: '/usb/NAS', writeMostly: true, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0 },
] };

test('90 % then 95 % full are each told once; going below and back tells again', () => {
  const p = new HistoryFeed();
  p.seed(mirror, usbAt(0.5));
  // The notice of the history entry the new listing adds (Recent activity gets the same entry).
  const next = (used: number) => p.next({ type: 'drives-changed', drives: usbAt(used) }).map((d) => noticeOf({ id: 1, at: 0, ...d }))[0] ?? null;
  assert.equal(next(0.8), null);
  const warn = next(0.91);
  assert.equal(warn?.title, 'The mirror is filling up');
  assert.match(warn!.body, /^USB Backup is 91 % full/);
  assert.equal(next(0.92), null, 'still the same level: not told again');
  assert.equal(next(0.96)?.title, 'The mirror is almost full');
  assert.equal(next(0.97), null);
  assert.equal(next(0.93), null, 'a little space freed: no new notice');
  assert.equal(next(0.5), null);
  assert.equal(next(0.9)?.title, 'The mirror is filling up', 'filling up again is news again');
});
