// Hot-plug on loop-mounted drives: a returning member drive is re-added and caught up; a vanished one fails at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachHotplug, ejectDrive } from '../../core/drives/index.ts';
import { nextEvent, text } from '../helpers/engine.ts';
import { loopMirror } from '../helpers/loop-mirror.ts';

test('mounting a drive that holds an ejected member re-adds it and catches it up', { timeout: 60_000 }, async (t) => {
  const setup = await loopMirror(t, { usb: 'exfat', usbFolder: 'NAS Mirror' });
  if (!setup) return;
  const { lab, fast, usb, A, m } = setup;
  const errors: unknown[] = [];
  const detach = attachHotplug(m, { onError: (e) => errors.push(e) });
  t.after(detach);
  await detach.ready;
  const usbId = m.status().members.find((x) => x.label === 'USB')!.id;
  await m.writeFile('before.txt', 'on both');
  await ejectDrive(m, usbId);
  await m.writeFile('while-away.txt', 'only on fast');

  const caughtUp = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
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
  const { lab, fast, usb, A, m } = setup;
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
  await nextEvent(m, 'behind', (e) => e.memberId === usbId && e.behindWrites > 0);

  const faulty = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'faulty');
  const started = Date.now();
  await lab.unmount(usb, { lazy: true });
  await faulty;
  const tookMs = Date.now() - started;
  writing = false;
  await workload;
  assert.ok(tookMs < 1000, `faulty after ${tookMs} ms`);
  assert.ok(acked.size > 0);
  for (const [path, body] of acked) {
    assert.equal(text(await m.readFile(path)), body, path);
    assert.equal(await readFile(join(A, path), 'utf8'), body, `${path} on the fast member`);
  }
});

test('an idle member drive that vanishes is failed by the watcher alone', { timeout: 60_000 }, async (t) => {
  const setup = await loopMirror(t, { writeMostly: false });
  if (!setup) return;
  const { lab, fast, usb, m } = setup;
  const detach = attachHotplug(m);
  t.after(detach);
  await detach.ready;
  const usbId = m.status().members.find((x) => x.label === 'USB')!.id;
  const faulty = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'faulty');
  const started = Date.now();
  await lab.unmount(usb, { lazy: true });
  await faulty;
  assert.ok(Date.now() - started < 1000);
  assert.match(m.status().members.find((x) => x.id === usbId)!.error ?? '', /./);
});
