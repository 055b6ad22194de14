// Hot-plug and failure messages on real folders: a drive that leaves is said to be unplugged, never "failed by the user".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, type EngineMemberSpec } from '../index.ts';
import type { DriveInfo, MirrorEvent } from '../contract/types.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { tempDir } from '../../test/helpers/tmp.ts';
import { attachHotplug } from './hotplug.ts';
import type { DriveChange } from './watch-drives.ts';

const drive = (mountPoint: string): DriveInfo =>
  ({ mountPoint, device: '/dev/sdz1', filesystem: 'exfat', sizeBytes: 1e9, freeBytes: 1e9, removable: true, readOnly: false, system: false });

test('a member drive that the watcher sees leave is "unplugged", with what to do; no blame on the user', async (t) => {
  const dir = await tempDir(t);
  const usbMount = join(dir, 'usb');
  await mkdir(join(usbMount, 'NAS'), { recursive: true });
  const m = await createMirror({ members: [{ path: join(dir, 'ssd'), label: 'SSD' }, { path: join(usbMount, 'NAS'), label: 'Photos Disk', writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  const usbId = m.status().members[1]!.id;
  let emit!: (c: DriveChange) => void;
  const errors: unknown[] = [];
  const detach = attachHotplug(m, { watch: (l) => { emit = l; return Object.assign(() => {}, { ready: Promise.resolve() }); }, onError: (e) => errors.push(e) });
  t.after(detach);

  const failed = new Promise<MirrorEvent>((resolve) => m.onEvent((e) => { if (e.type === 'member-state' && e.state === 'faulty') resolve(e); }));
  emit({ type: 'removed', drive: drive(usbMount) });
  const event = await failed;
  const usb = m.status().members.find((x) => x.id === usbId)!;
  assert.equal(usb.state, 'faulty');
  assert.doesNotMatch(usb.error ?? '', /by the user/);
  assert.match(usb.error ?? '', /"Photos Disk" was unplugged/);
  assert.match(usb.error ?? '', /Plug it back in/);
  assert.equal(event.type === 'member-state' && event.error, usb.error, 'the event carries why, for a desktop notice');
  assert.deepEqual(errors, []);
});

test('a write that fails on a pulled drive says it was unplugged; on a full one, that it is full and to free space', async (t) => {
  const dir = await tempDir(t);
  const pulled = new FaultyFs(new NodeFs());
  const full = new FaultyFs(new NodeFs());
  const m = await createMirror({ members: [
    { path: join(dir, 'ssd'), label: 'SSD' },
    { path: join(dir, 'usb'), label: 'USB', fs: pulled } as EngineMemberSpec,
    { path: join(dir, 'hdd'), label: 'HDD', fs: full } as EngineMemberSpec,
  ] });
  t.after(() => m.stop().catch(() => {}));
  const [, usbId, hddId] = m.status().members.map((x) => x.id);
  pulled.yank();
  full.options.fullAfterBytes = full.written;
  await m.writeFile('a.txt', 'data'); // acknowledged: the SSD has it

  const usb = m.status().members.find((x) => x.id === usbId)!;
  assert.equal(usb.state, 'faulty');
  assert.match(usb.error ?? '', /^"USB" was unplugged or its folder vanished \(.* failed: EIO/);
  assert.match(usb.error ?? '', /Plug it back in/);
  const hdd = m.status().members.find((x) => x.id === hddId)!;
  assert.equal(hdd.state, 'faulty');
  assert.match(hdd.error ?? '', /^"HDD" is full \(.* failed: ENOSPC/);
  assert.match(hdd.error ?? '', /Free some space on it/);
  for (const e of [usb.error, hdd.error]) assert.doesNotMatch(e ?? '', /by the user|check the drive/i);
});

test('failMember from the API still says the user did it, and how to bring it back', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [{ path: join(dir, 'a'), label: 'SSD' }, { path: join(dir, 'b'), label: 'HDD' }] });
  t.after(() => m.stop().catch(() => {}));
  const hdd = m.status().members[1]!.id;
  await m.failMember(hdd);
  assert.match(m.status().members[1]!.error ?? '', /^"HDD" was marked failed by the user\. .*Re-add it/);
});
