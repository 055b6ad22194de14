// Hot-plug on loop-mounted drives: a returning member drive is re-added and caught up; a vanished one fails at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachHotplug, ejectDrive, listDrives, watchDrives, type DriveChange } from '../../core/drives/index.ts';
import { nextEvent, text } from '../helpers/engine.ts';
import { loopMirror } from '../helpers/loop-mirror.ts';

test('mounting a drive that holds an ejected member re-adds it and catches it up', { timeout: 60_000 }, async (t) => {
  const setup = await loopMirror(t, { usb: 'exfat', usbFolder: 'NAS Mirror' });
  if (!setup) return;
  const { lab, usb, m } = setup;
  const errors: unknown[] = [];
  // The watcher must see the drive leave before it comes back: a listing taken only after the remount sees no change.
  let sawRemoval: () => void = () => {};
  const removalSeen = new Promise<void>((resolve) => { sawRemoval = resolve; });
  const watch = (l: (c: DriveChange) => void) => watchDrives((c) => {
    if (c.type === 'removed' && c.drive.mountPoint === usb.mountPoint) sawRemoval();
    l(c);
  });
  const detach = attachHotplug(m, { onError: (e) => errors.push(e), watch });
  t.after(detach);
  await detach.ready;
  const usbId = m.status().members.find((x) => x.label === 'USB')!.id;
  await m.writeFile('before.txt', 'on both');
  await ejectDrive(m, usbId);
  await m.writeFile('while-away.txt', 'only on fast');
  await within(removalSeen, 20_000, `the drive watcher reported no removal of ${usb.mountPoint} within 20 s of the eject`);

  const caughtUp = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync', 20_000);
  await lab.remount(usb);
  await caughtUp;
  const B = join(usb.mountPoint, 'NAS Mirror');
  assert.equal(await readFile(join(B, 'while-away.txt'), 'utf8'), 'only on fast');
  assert.equal(await readFile(join(B, 'before.txt'), 'utf8'), 'on both');
  assert.equal(m.status().members.find((x) => x.id === usbId)!.path, B);
  assert.deepEqual(errors, []);
});

test('a member drive unmounted lazily mid-workload is faulty within a second, and no acknowledged write is lost', { timeout: 60_000 }, async (t) => {
  const setup = await loopMirror(t, { throttle: { latencyMs: 2 } });
  if (!setup) return;
  const { lab, usb, A, m } = setup;
  const detach = attachHotplug(m);
  t.after(detach);
  await detach.ready;
  const usbId = m.status().members.find((x) => x.label === 'USB')!.id;

  const acked = new Map<string, string>();
  let writing = true;
  const workload = (async () => {
    for (let i = 0; writing; i++) {
      const path = `w/${i}.txt`;
      const body = `write ${i}`;
      await m.writeFile(path, body);
      acked.set(path, body);
    }
  })();
  await nextEvent(m, 'behind', (e) => e.memberId === usbId && e.behindWrites > 0, 20_000);

  const allowedMs = await faultyAllowanceMs();
  const faultyAt = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'faulty', 20_000).then(() => Date.now());
  await lab.unmount(usb, { lazy: true });
  const unmountedAt = Date.now();
  const tookMs = (await faultyAt.finally(() => { writing = false; })) - unmountedAt;
  await workload;
  t.diagnostic(`faulty ${tookMs} ms after the unmount returned (allowed ${allowedMs} ms)`);
  assert.ok(tookMs < allowedMs, `faulty ${tookMs} ms after the unmount returned; allowed ${allowedMs} ms`);
  assert.ok(acked.size > 0);
  for (const [path, body] of acked) {
    assert.equal(text(await m.readFile(path)), body, path);
    assert.equal(await readFile(join(A, path), 'utf8'), body, `${path} on the fast member`);
  }
});

test('an idle member drive that vanishes is failed by the watcher alone', { timeout: 60_000 }, async (t) => {
  const setup = await loopMirror(t, { writeMostly: false });
  if (!setup) return;
  const { lab, usb, m } = setup;
  const detach = attachHotplug(m);
  t.after(detach);
  await detach.ready;
  const usbId = m.status().members.find((x) => x.label === 'USB')!.id;
  const allowedMs = await faultyAllowanceMs();
  const faultyAt = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'faulty', 20_000).then(() => Date.now());
  await lab.unmount(usb, { lazy: true });
  const unmountedAt = Date.now();
  const tookMs = (await faultyAt) - unmountedAt;
  t.diagnostic(`faulty ${tookMs} ms after the unmount returned (allowed ${allowedMs} ms)`);
  assert.ok(tookMs < allowedMs, `faulty ${tookMs} ms after the unmount returned; allowed ${allowedMs} ms`);
  assert.match(m.status().members.find((x) => x.id === usbId)!.error ?? '', /./);
});

/**
 * How soon after the unmount the member must be faulty: a second, or two of the watcher's drive listings where one
 * takes longer on a loaded machine (the listing runs several tools; a stall of its own is what this test is after).
 */
async function faultyAllowanceMs(): Promise<number> {
  const t0 = Date.now();
  await listDrives();
  return Math.max(1000, 2 * (Date.now() - t0));
}

/** `p`, or a rejection saying `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new Error(what)), ms); });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
