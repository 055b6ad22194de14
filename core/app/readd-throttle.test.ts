// A drive added again through the app keeps how it was set up: the demo's USB Backup stays throttled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import type { MemberSpec } from '../contract/types.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('re-adding an ejected member from the UI (path, label, write-mostly) keeps its throttle', async (t) => {
  const dir = await tempDir(t);
  const ssd = join(dir, 'ssd'), usb = join(dir, 'usb');
  await mkdir(ssd); await mkdir(usb);
  const added: MemberSpec[] = [];
  const base = coreDeps();
  // The real engine; only addMember is watched, to see the spec the engine is asked for.
  const watch = (m: Mirror): Mirror => { const add = m.addMember.bind(m); m.addMember = (s) => { added.push(s); return add(s); }; return m; };
  const deps = { ...base, listDrives: async () => [], createMirror: async (o: Parameters<typeof base.createMirror>[0]) => watch(await base.createMirror(o)) };
  const core = await AppCore.start({ deps, configDir: await tempDir(t), native: false, log: () => {}, ejectMode: 'engine' });
  t.after(() => core.shutdown());
  const throttle = { latencyMs: 5, bytesPerSecond: 8 << 20 };
  const status = await core.create({ label: 'Demo', members: [{ path: ssd, label: 'SSD' }, { path: usb, label: 'USB Backup', writeMostly: true, throttle }] });
  const usbId = status.members[1]!.id;
  await core.eject(usbId);

  await core.addMember({ path: usb, label: 'USB Backup', writeMostly: true }); // what the member card sends
  assert.deepEqual(added.at(-1), { path: usb, label: 'USB Backup', writeMostly: true, throttle });
});
