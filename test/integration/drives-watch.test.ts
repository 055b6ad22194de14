// Hot-plug watching on real mounts: a loop image mounted and unmounted is announced, event-driven via findmnt --poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { watchDrives, type DriveChange } from '../../core/drives/index.ts';
import { mountinfoPollTrigger } from '../../core/drives/mount-triggers.ts';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';

/** Resolves with the first change matching `pred`; the watcher reports everything, other tests' mounts included. */
function nextChange(changes: DriveChange[], waiters: Array<() => void>, pred: (c: DriveChange) => boolean): Promise<DriveChange> {
  return new Promise((resolve) => {
    const check = () => {
      const c = changes.find(pred);
      if (c) { resolve(c); return true; }
      return false;
    };
    if (!check()) waiters.push(() => void check());
  });
}

/** A missed event fails the test with its name after this long instead of stalling the whole run. */
const WAIT_MS = 60_000;

for (const mode of ['findmnt --poll', 'mountinfo poll'] as const) {
  test(`watchDrives (${mode}) announces a drive mounted at a path with a space, then its removal`, { timeout: WAIT_MS }, async (t) => {
    const why = await loopUnsupported({ exfat: true });
    if (why) return t.skip(why);
    const lab = await loopLab(t);
    const changes: DriveChange[] = [];
    const waiters: Array<() => void> = [];
    const unwatch = watchDrives((c) => { changes.push(c); for (const w of waiters) w(); },
      mode === 'mountinfo poll' ? { trigger: (onChange) => mountinfoPollTrigger(onChange, 100) } : {});
    t.after(unwatch);
    await unwatch.ready;

    const d = await lab.mountExfatImage('My Passport');
    const added = await nextChange(changes, waiters, (c) => c.type === 'added' && c.drive.mountPoint === d.mountPoint);
    assert.equal(added.drive.filesystem, 'exfat');
    assert.equal(added.drive.device, d.device);

    await lab.unmount(d, { lazy: true });
    const removed = await nextChange(changes, waiters, (c) => c.type === 'removed' && c.drive.mountPoint === d.mountPoint);
    assert.equal(removed.drive.device, d.device);
    assert.equal(changes.filter((c) => c.drive.mountPoint === d.mountPoint).length, 2, 'one added and one removed, nothing else');
  });
}

test('after unsubscribe no event arrives and the findmnt child is gone', { timeout: WAIT_MS }, async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const lab = await loopLab(t);
  const changes: DriveChange[] = [];
  const unwatch = watchDrives((c) => changes.push(c));
  await unwatch.ready;
  const children = await findmntChildren();
  unwatch();
  // A second watcher proves the mount and unmount were observable; the first one must have stayed silent.
  // It waits for the mount before unmounting: a mount and unmount that both land before one listing cancel out.
  const seen: DriveChange[] = [];
  const waiters: Array<() => void> = [];
  const probe = watchDrives((c) => { seen.push(c); for (const w of waiters) w(); });
  t.after(probe);
  await probe.ready;
  const d = await lab.mountExt4Image('late');
  await nextChange(seen, waiters, (c) => c.type === 'added' && c.drive.mountPoint === d.mountPoint);
  await lab.unmount(d);
  await nextChange(seen, waiters, (c) => c.type === 'removed' && c.drive.mountPoint === d.mountPoint);
  assert.deepEqual(changes, []);
  assert.equal(children.length, 1, 'the watcher ran one findmnt');
  assert.equal(await alive(children[0]!), false, 'findmnt still running after unsubscribe');
});

async function findmntChildren(): Promise<number[]> {
  const text = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => '');
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  const names = await Promise.all(pids.map((p) => readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')));
  return pids.filter((_p, i) => names[i]!.trim() === 'findmnt');
}

/** Dead or a zombie waiting to be reaped both count as gone. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/\) [ZX] /.test(stat);
}
