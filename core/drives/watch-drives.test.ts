// The watcher's bookkeeping with a hand-driven trigger: diffs, one listing at a time, nothing after unsubscribe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriveInfo } from '../api/types.ts';
import { diffDrives, watchDrives, type DriveChange } from './watch-drives.ts';

const d = (mountPoint: string, device = `/dev/${mountPoint.slice(1)}`): DriveInfo =>
  ({ mountPoint, device, filesystem: 'ext4', sizeBytes: 1, freeBytes: 1, removable: true, readOnly: false, system: false });

test('diff: removed before added; the same device at another mount point is a new drive', () => {
  const before = new Map([d('/a'), d('/b')].map((x) => [`${x.device}\n${x.mountPoint}`, x]));
  const { changes } = diffDrives(before, [d('/a'), d('/c', '/dev/b')]);
  assert.deepEqual(changes.map((c) => `${c.type} ${c.drive.mountPoint}`), ['removed /b', 'added /c']);
});

test('changes during a listing cause exactly one more listing, and unsubscribe silences it', async () => {
  let fire!: () => void;
  let stops = 0;
  const listings: Array<(v: DriveInfo[]) => void> = [];
  const list = () => new Promise<DriveInfo[]>((resolve) => listings.push(resolve));
  const changes: DriveChange[] = [];
  const unwatch = watchDrives((c) => changes.push(c), {
    list,
    trigger: (onChange) => { fire = onChange; return { ready: Promise.resolve(), stop: () => { stops++; } }; },
  });
  await new Promise((r) => setImmediate(r));
  listings.shift()!([d('/a')]); // baseline
  await unwatch.ready;
  fire(); fire(); fire(); // a burst: one listing now, one after it
  assert.equal(listings.length, 1);
  listings.shift()!([d('/a'), d('/b')]);
  await new Promise((r) => setImmediate(r));
  assert.equal(listings.length, 1, 'the burst asked for one more listing, not three');
  listings.shift()!([d('/b')]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(changes.map((c) => `${c.type} ${c.drive.mountPoint}`), ['added /b', 'removed /a']);
  fire();
  unwatch();
  listings.shift()!([]);
  await new Promise((r) => setImmediate(r));
  assert.equal(changes.length, 2, 'no event after unsubscribe');
  assert.equal(stops, 1);
});
