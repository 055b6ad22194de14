// The watcher's bookkeeping with a hand-driven trigger: diffs, one listing at a time, nothing after unsubscribe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriveInfo } from '../contract/types.ts';
import { diffDrives, watchDrives, type DriveChange } from './watch-drives.ts';

const d = (mountPoint: string, device = `/dev/${mountPoint.slice(1)}`): DriveInfo =>
  ({ mountPoint, device, filesystem: 'ext4', sizeBytes: 1, freeBytes: 1, removable: true, readOnly: false, system: false });

test('diff: removed before added; the same device at another mount point is a new drive', () => {
  const before = new Map([d('/a'), d('/b')].map((x) => [`${x.device}\n${x.mountPoint}`, x]));
  const { changes } = diffDrives(before, [d('/a'), d('/c', '/dev/b')]);
  assert.deepEqual(changes.map((c) => `${c.type} ${c.drive.mountPoint}`), ['removed /b', 'added /c']);
});

// A listing the watcher asks for and the test never answers leaves idle() waiting: the timeout fails it by name.
test('changes during a listing cause exactly one more listing, and unsubscribe silences it', { timeout: 10_000 }, async () => {
  let fire!: () => void;
  let stops = 0;
  // Each listing waits for the test to answer it; `listed` hands the test the next one as soon as it is asked for.
  const asked: Array<(v: DriveInfo[]) => void> = [];
  let onAsk: (() => void) | undefined;
  const list = () => new Promise<DriveInfo[]>((resolve) => { asked.push(resolve); onAsk?.(); });
  const listed = async () => {
    if (asked.length === 0) await new Promise<void>((r) => { onAsk = r; });
    onAsk = undefined;
    return asked.shift()!;
  };
  const changes: DriveChange[] = [];
  const unwatch = watchDrives((c) => changes.push(c), {
    list,
    trigger: (onChange) => { fire = onChange; return { ready: Promise.resolve(), stop: () => { stops++; } }; },
  });
  (await listed())([d('/a')]); // baseline
  await unwatch.ready;
  fire(); fire(); fire(); // a burst: one listing now, one after it
  assert.equal(asked.length, 1);
  asked.shift()!([d('/a'), d('/b')]);
  (await listed())([d('/b')]);
  await unwatch.idle();
  assert.equal(asked.length, 0, 'the burst asked for one more listing, not three');
  assert.deepEqual(changes.map((c) => `${c.type} ${c.drive.mountPoint}`), ['added /b', 'removed /a']);
  fire();
  unwatch();
  asked.shift()!([]);
  await unwatch.idle();
  assert.equal(changes.length, 2, 'no event after unsubscribe');
  assert.equal(stops, 1);
});
