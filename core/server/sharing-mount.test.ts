// The Sharing section's mount switch (issue 14) through the real handlers: `sharing.setMount` checks the folder
// (absolute, there, empty, outside every member and off a member's removable drive), mounts the open mirror there
// with real FUSE, remembers it in sharing.json (the next start mounts again), and unmounts; and a drive ejected while
// the mount is in use. Root and /dev/fuse are needed for the mount itself; the checks run on any Linux.
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror } from '../index.ts';
import { AppCore } from '../app/app-core.ts';
import { defaultConfig, saveConfig } from '../app/config-store.ts';
import { coreDeps } from '../app/core-deps.ts';
import { createDispatch, createHandlers } from '../app/handlers.ts';
import { DavService } from './dav/dav-route.ts';
import { loadSharingSettings, ServerSharing } from './dav/sharing.ts';
import { startLocalShares, type LocalShares } from './local-shares.ts';
import { forceUnmount, fuseSkipReason, isMounted, sh, shOk } from '../../test/helpers/fuse.ts';
import { loopLab, loopUnsupported } from '../../test/helpers/loop.ts';

type T = { after(fn: () => Promise<void> | void): void };

/**
 * serve's pieces in-process: a mirror (an SSD folder and a write-mostly "USB drive", a folder the drives list calls a
 * removable drive), AppCore assembling it from the config, the mount and SMB control, the handlers. One teardown hook
 * stops them in order: the mount before the mirror, the mirror before the folders go.
 */
async function world(t: T) {
  const root = await mkdtemp(join(tmpdir(), 'nasm-sharing-mount-'));
  let core: AppCore | undefined;
  let local: LocalShares | undefined;
  const mounts: string[] = [];
  // One hook, in this order: nothing mounted is left when the folders go.
  t.after(async () => {
    await local?.stop();
    for (const d of mounts) await forceUnmount(d);
    await core?.shutdown();
    await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });
  const usbDrive = join(root, 'usb-drive');
  const ssd = join(root, 'ssd'), usb = join(usbDrive, 'NAS Mirror');
  const config = join(root, 'config');
  await mkdir(usbDrive);
  const members = [{ path: ssd, label: 'SSD' }, { path: usb, label: 'USB Backup', writeMostly: true }];
  const m = await createMirror({ members, label: 'Home' });
  await m.stop();
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'Home', members, autoAssemble: true }], activeMirrorId: m.id });
  core = await AppCore.start({ deps: coreDeps(), configDir: config, native: false, log: () => {}, ejectMode: 'engine' });
  assert.ok(core.mirror, 'the mirror was assembled from the config');
  const drives = async () => [{ mountPoint: root, system: true }, { mountPoint: usbDrive, system: false }];
  const startLocal = async () => { local = await startLocalShares({ configDir: config, mirror: () => core!.mirror, args: { host: '127.0.0.1' }, log: () => {}, drives }); };
  await startLocal();
  const dav = await DavService.create({ mirror: () => core!.mirror, stateDir: config, enabled: false, log: () => {} });
  const sharing = new ServerSharing({ dav, configDir: config, host: '127.0.0.1', tls: false, port: () => 5178, local: () => local });
  const dispatch = createDispatch(createHandlers(core, { sharing }));
  return {
    root, ssd, usb, usbDrive, config, core, dispatch, mounts,
    /** Stops the mount and SMB control and starts it again from what sharing.json remembers, as a restart of serve. */
    async restart() { await local?.stop(); local = undefined; await startLocal(); },
  };
}

test('the mount switch refuses a folder that cannot take the mount, saying what to do, and mounts nothing', { skip: process.platform !== 'linux' ? 'the mount is Linux only' : false }, async (t) => {
  const w = await world(t);
  const status = await w.dispatch('sharing.status', []);
  assert.ok(status.ok);
  assert.equal(status.value.platform, 'linux');
  assert.equal(status.value.mount.enabled, false);
  assert.equal(status.value.smb.enabled, false);

  const refused = async (dir: string, code: string, why: RegExp) => {
    const r = await w.dispatch('sharing.setMount', [{ on: true, dir }]);
    assert.ok(!r.ok, `${dir} was refused`);
    assert.equal(r.error.code, code, r.error.message);
    assert.match(r.error.message, why);
  };
  await refused('relative/folder', 'EBADARGS', /absolute path/);
  await refused('', 'EBADARGS', /dir/);
  await refused(join(w.root, 'missing'), 'EINVALIDOPTION', /There is no folder .*missing: create it first \(mkdir -p/);
  await writeFile(join(w.root, 'file.txt'), 'x');
  await refused(join(w.root, 'file.txt'), 'EINVALIDOPTION', /is a file, not a folder/);
  await mkdir(join(w.root, 'full'));
  await writeFile(join(w.root, 'full', 'keep.txt'), 'keep');
  await refused(join(w.root, 'full'), 'EINVALIDOPTION', /is not empty \(1 entry\): the mount would hide what is there/);
  await mkdir(join(w.ssd, 'inside'));
  await refused(join(w.ssd, 'inside'), 'EINVALIDOPTION', /inside the folder of the member SSD .*the mirror would hold itself/);
  await refused(w.ssd, 'EINVALIDOPTION', /inside the folder of the member SSD/);
  await mkdir(join(w.usbDrive, 'mnt'));
  await refused(join(w.usbDrive, 'mnt'), 'EINVALIDOPTION', /on the drive of the member USB Backup .*could not be ejected/);

  assert.equal((await loadSharingSettings(w.config)).mount, undefined, 'nothing remembered');
  for (const d of ['full', 'missing']) assert.equal(await isMounted(join(w.root, d)), false);
  assert.equal(await readFile(join(w.root, 'full', 'keep.txt'), 'utf8'), 'keep');
});

const fuseSkip = await fuseSkipReason();

test('the mount switch mounts the mirror at an empty folder, remembers it for the next start, and unmounts', { skip: fuseSkip ?? false, timeout: 120_000 }, async (t) => {
  const w = await world(t);
  const mnt = join(w.root, 'mnt');
  await mkdir(mnt);
  w.mounts.push(mnt);

  const on = await w.dispatch('sharing.setMount', [{ on: true, dir: mnt }]);
  assert.ok(on.ok, JSON.stringify(on));
  assert.deepEqual(on.value.mount, { available: true, enabled: true, dir: mnt });
  assert.equal(await isMounted(mnt), true);
  assert.equal((await loadSharingSettings(w.config)).mount, mnt, 'remembered in sharing.json');

  // Both ways through the engine: a write from the UI read through the mount, a write into the mount read by the UI.
  assert.ok((await w.dispatch('files.write', ['from-ui.txt', new TextEncoder().encode('written by the UI\n')])).ok);
  assert.equal(await shOk(`cat '${mnt}/from-ui.txt'`), 'written by the UI\n');
  await shOk(`printf 'written into the mount\\n' > '${mnt}/from-mount.txt'`);
  const read = await w.dispatch('files.read', ['from-mount.txt']);
  assert.ok(read.ok);
  assert.equal(new TextDecoder().decode(read.value), 'written into the mount\n');

  // A second switch to the same folder changes nothing; the status says where it is.
  assert.ok((await w.dispatch('sharing.setMount', [{ on: true, dir: mnt }])).ok);
  const st = await w.dispatch('sharing.status', []);
  assert.ok(st.ok && st.value.mount.enabled && st.value.mount.dir === mnt);

  // A restart of serve mounts it again where it was remembered.
  await w.restart();
  assert.equal(await isMounted(mnt), true, 'mounted again at the next start');
  assert.equal(await shOk(`cat '${mnt}/from-mount.txt'`), 'written into the mount\n');

  const off = await w.dispatch('sharing.setMount', [{ on: false }]);
  assert.ok(off.ok, JSON.stringify(off));
  assert.equal(off.value.mount.enabled, false);
  assert.equal(await isMounted(mnt), false);
  assert.equal((await loadSharingSettings(w.config)).mount, undefined, 'forgotten');
  assert.equal(await readFile(join(w.ssd, 'from-mount.txt'), 'utf8'), 'written into the mount\n', 'the member holds the file as a plain file');
});

const ejectSkip = fuseSkip ?? (await loopUnsupported());

test('ejecting the USB drive while the mount is in use: the eject completes and the mount serves on from the SSD', { skip: ejectSkip ?? false, timeout: 180_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'nasm-mount-eject-'));
  const mnt = join(root, 'mnt');
  let core: AppCore | undefined;
  let local: LocalShares | undefined;
  // Before the loop drive's own hook (hooks run in the order added): the mount and the mirror go first.
  t.after(async () => {
    await local?.stop();
    await forceUnmount(mnt);
    await core?.shutdown();
    await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });
  const lab = await loopLab(t);
  const usbDrive = (await lab.mountExt4Image('usb', { sizeMiB: 256 })).mountPoint;
  const ssd = join(root, 'ssd'), config = join(root, 'config');
  const members = [{ path: ssd, label: 'SSD' }, { path: join(usbDrive, 'NAS Mirror'), label: 'USB', writeMostly: true }];
  const m = await createMirror({ members, label: 'Home' });
  await m.stop();
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'Home', members, autoAssemble: true }], activeMirrorId: m.id });
  // The real drives layer: the eject unmounts the loop drive.
  core = await AppCore.start({ deps: coreDeps(), configDir: config, native: false, log: () => {}, ejectMode: 'drive' });
  const c = core;
  local = await startLocalShares({ configDir: config, mirror: () => c.mirror, args: { host: '127.0.0.1' }, log: () => {}, drives: () => c.listDrives() });
  await mkdir(mnt);
  await local.setMount({ on: true, dir: mnt });
  const dispatch = createDispatch(createHandlers(core));
  await shOk(`for i in 1 2 3; do echo "file $i" > '${mnt}/f'$i.txt; done`);

  // A program inside the mount holding a file open for writing across the eject, writing before and after it.
  const holder = spawn('bash', ['-c', `cd '${mnt}' && exec 3>>held.txt && echo before >&3 && read -r _ && echo after >&3`], { stdio: ['pipe', 'ignore', 'inherit'] });
  const held = new Promise<number | null>((r) => holder.once('exit', r));
  await until(async () => (await sh(`cat '${mnt}/held.txt'`)).stdout === 'before\n');

  const usbId = core.mirror!.status().members[1]!.id;
  const ejected = await dispatch('mirror.eject', [usbId]);
  assert.ok(ejected.ok, JSON.stringify(ejected));
  assert.equal(await isMounted(usbDrive), false, 'the USB drive was unmounted');
  assert.deepEqual(core.mirror!.status().members.map((x) => x.state), ['in_sync', 'removed']);

  assert.equal(await shOk(`ls '${mnt}'`), 'f1.txt\nf2.txt\nf3.txt\nheld.txt\n');
  assert.equal(await shOk(`cat '${mnt}/f2.txt'`), 'file 2\n');
  await shOk(`echo new > '${mnt}/new.txt'`);
  holder.stdin!.end('go\n');
  assert.equal(await held, 0);
  assert.equal(await shOk(`cat '${mnt}/held.txt'`), 'before\nafter\n');
  assert.equal(await readFile(join(ssd, 'new.txt'), 'utf8'), 'new\n');
});

/** Resolves once `check` holds (a child's write landing, seen through the mount); fails after 20 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await check());) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
