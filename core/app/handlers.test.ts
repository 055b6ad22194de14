// The handlers and AppCore over the real engine on temporary folders. The drives list is a fixed one the test
// controls (a temp folder is not a drive); the engine, placement rules, hot-plug and drive eject are the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import type { AppCoreOptions } from './app-core.ts';
import type { CoreDeps, DriveChange } from './app-deps.ts';
import { coreDeps } from './core-deps.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import type { AppEvent, EventEnvelope } from '../contract/contract.ts';
import { MAX_WRITE_BYTES } from '../contract/contract.ts';
import { CONFIG_FILE } from './config-store.ts';
import type { DriveInfo, MemberSpec } from '../contract/types.ts';
import { attachHotplug, checkPlacement, NodeFs } from '../index.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import type { EngineMemberSpec } from '../index.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

type T = Parameters<typeof tempDir>[0];

const drive = (mountPoint: string, o: Partial<DriveInfo> = {}): DriveInfo => ({
  mountPoint, device: `test:${mountPoint}`, filesystem: 'ext4', sizeBytes: 1e11, freeBytes: 5e10, removable: false, readOnly: false, system: false, ...o,
});

/**
 * The production deps with one change: the drives are a fixed list the test edits and announces. Placement and
 * hot-plug are the real ones, judged against that list; createMirror/assembleMirror/ejectDrive are untouched.
 */
function testDeps(initial: DriveInfo[]) {
  const listeners = new Set<(e: DriveChange) => void>();
  const watch = (l: (e: DriveChange) => void) => {
    listeners.add(l);
    return Object.assign(() => { listeners.delete(l); }, { ready: Promise.resolve() });
  };
  const world = {
    drives: initial,
    plug(d: DriveInfo) {
      world.drives = [...world.drives, d];
      for (const l of [...listeners]) l({ type: 'added', drive: d });
    },
  };
  const deps: CoreDeps = {
    ...coreDeps(),
    listDrives: async () => world.drives,
    watchDrives: watch,
    checkPlacement: (specs) => checkPlacement(specs, { drives: world.drives }),
    attachHotplug: (mirror, onError) => attachHotplug(mirror, { watch, onError }),
  };
  return { deps, world };
}

/**
 * One test's world: a temp root holding the member folders, one system "drive" at that root, and a way to start
 * AppCores on it. Cores are shut down before the folders are removed (t.after runs hooks in the order added).
 */
async function harness(t: T) {
  const cores: AppCore[] = [];
  t.after(async () => { for (const c of cores) await c.shutdown(); });
  const root = await realpath(await tempDir(t));
  const { deps, world } = testDeps([drive(root, { system: true, label: 'Internal' })]);
  const fast = join(root, 'fast');
  const usb = join(root, 'usb');
  // A slow write-mostly member, so writes really go behind and an eject really has something to flush.
  const members: MemberSpec[] = [{ path: fast }, { path: usb, writeMostly: true, throttle: { latencyMs: 20 } }];
  async function start(extra: Partial<AppCoreOptions> = {}, configDir?: string) {
    const core = await AppCore.start({ deps, configDir: configDir ?? await tempDir(t), native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine', ...extra });
    cores.push(core);
    const events: EventEnvelope[] = [];
    core.events.subscribe((e) => events.push(e));
    return { core, events, dispatch: createDispatch(createHandlers(core)) };
  }
  return { root, fast, usb, members, world, start };
}

/** The next app event of this type; call it before the action that causes it. Fails by name after 20 s. */
function nextAppEvent<K extends AppEvent['type']>(core: AppCore, type: K): Promise<Extract<AppEvent, { type: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no '${type}' event within 20 s`)); }, 20_000);
    const off = core.events.subscribe(({ event }) => {
      if (event.type === type) { clearTimeout(timer); off(); resolve(event as Extract<AppEvent, { type: K }>); }
    });
  });
}

const assertNoGaps = (events: EventEnvelope[]) => {
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'seq has no gaps');
};

test('unknown methods, bad arguments and thrown errors all come back as data', async (t) => {
  const { root, fast, start } = await harness(t);
  const { dispatch } = await start();
  assert.equal((await dispatch('fs.rmrf', [])).ok, false);
  const unknown = await dispatch('constructor', []);
  assert.equal(!unknown.ok && unknown.error.code, 'EUNKNOWNMETHOD');
  const notArray = await dispatch('files.read', 'a.txt');
  assert.equal(!notArray.ok && notArray.error.code, 'EBADARGS');
  const badType = await dispatch('files.write', ['a', 'not bytes']);
  assert.equal(!badType.ok && badType.error.code, 'EBADARGS');
  const tooFew = await dispatch('mirror.create', [{ members: [{ path: fast }] }]);
  assert.equal(!tooFew.ok && tooFew.error.code, 'EBADARGS');
  const noMirror = await dispatch('files.read', ['a.txt']);
  assert.equal(!noMirror.ok && noMirror.error.code, 'ESTOPPED');

  // The engine's own refusals: a folder holding files where the mirror starts from another's, and a file.
  const full = join(root, 'full');
  await mkdir(full);
  await writeFile(join(full, 'old.txt'), 'keep me');
  const notEmpty = await dispatch('mirror.create', [{ members: [{ path: fast }, { path: full }], adoptFrom: 0 }]);
  assert.ok(!notEmpty.ok);
  assert.equal(notEmpty.error.code, 'EBUSY');
  assert.equal(notEmpty.error.path, full);
  assert.ok(notEmpty.error.message.includes(full), notEmpty.error.message);
  const file = join(root, 'file.txt');
  await writeFile(file, 'x');
  const notDir = await dispatch('mirror.create', [{ members: [{ path: fast }, { path: file }] }]);
  assert.ok(!notDir.ok);
  assert.equal(notDir.error.code, 'ENOTDIR');
  assert.equal(notDir.error.path, file);
  assert.ok(notDir.error.message.includes(file), notDir.error.message);
  assert.equal(await readFile(join(full, 'old.txt'), 'utf8'), 'keep me', 'a refused create touches nothing');
  assert.equal(await stat(join(fast, '.nas-mirror')).then(() => true, () => false), false);
});

test('create, write, read, eject: results, numbered events and mirror-changed snapshots', async (t) => {
  const { members, usb, start } = await harness(t);
  const { dispatch, events, core } = await start();
  const created = await dispatch('mirror.create', [{ members, label: 'Home' }]);
  assert.ok(created.ok, JSON.stringify(created));
  const usbId = created.value.members[1]!.id;
  const again = await dispatch('mirror.create', [{ members }]);
  assert.equal(!again.ok && again.error.code, 'EBUSY', 'a second mirror is refused while one is open');
  assert.deepEqual(await dispatch('files.write', ['a.txt', new Uint8Array([1, 2])]), { ok: true, value: undefined });
  const read = await dispatch('files.read', ['a.txt']);
  assert.ok(read.ok);
  assert.deepEqual(new Uint8Array(read.value), new Uint8Array([1, 2]));
  const bad = await dispatch('files.write', ['../x', new Uint8Array(1)]);
  assert.equal(!bad.ok && bad.error.code, 'EINVALIDPATH');

  // Writes the slow member has not caught up with yet: the eject must flush them before it says "done".
  for (let i = 0; i < 5; i++) assert.ok((await dispatch('files.write', [`f${i}.txt`, new TextEncoder().encode(`file ${i}`)])).ok);
  assert.deepEqual(await dispatch('mirror.eject', [usbId]), { ok: true, value: undefined });
  for (let i = 0; i < 5; i++) assert.equal(await readFile(join(usb, `f${i}.txt`), 'utf8'), `file ${i}`, 'flushed to the ejected member');

  core.events.flush();
  assertNoGaps(events);
  assert.equal(events[0]!.event.type, 'mirror-changed');
  const progress = events.flatMap((e) => (e.event.type === 'eject-progress' ? [e.event.progress] : []));
  const phases = progress.map((p) => p.phase);
  assert.equal(phases.at(-1), 'done');
  assert.ok(phases.includes('flushing'));
  assert.deepEqual(phases.slice(0, -1).filter((p) => p !== 'flushing'), [], 'folder members: flushing, then done');
  assert.ok(progress.some((p) => p.behindWrites > 0), 'the flush had behind writes to drain');
  assert.deepEqual(progress.at(-1), { phase: 'done', behindWrites: 0, behindBytes: 0, etaMs: 0 });
  const last = events.findLast((e) => e.event.type === 'mirror-changed')!.event;
  assert.equal(last.type === 'mirror-changed' && last.mirror?.members[1]?.state, 'removed');
  const snap = await dispatch('app.snapshot', []);
  assert.ok(snap.ok && snap.value.seq === core.events.seq && snap.value.mirror?.label === 'Home');
  assert.deepEqual(snap.ok && snap.value.ejecting, {});
});

test('a refused eject comes back as data and changes nothing', async (t) => {
  // The real drive eject (ejectMode 'drive'): both members sit on one drive, so unmounting it is refused before
  // anything happens — whatever drive the temp folder is on (EBUSY), or if it is the system drive or none (EUNMOUNT).
  const { members, start } = await harness(t);
  const { dispatch, core } = await start({ ejectMode: 'drive' });
  const created = await dispatch('mirror.create', [{ members }]);
  assert.ok(created.ok);
  const usbId = created.value.members[1]!.id;
  const refused = await dispatch('mirror.eject', [usbId]);
  assert.ok(!refused.ok);
  assert.ok(['EBUSY', 'EUNMOUNT'].includes(refused.error.code), refused.error.code);
  assert.equal(refused.error.memberId, usbId);
  assert.notEqual(core.mirror!.status().members[1]!.state, 'removed', 'the member is still in the mirror');
  assert.deepEqual(core.snapshot().ejecting, {});
  assert.ok((await dispatch('files.write', ['after.txt', new Uint8Array([7])])).ok, 'and the mirror goes on');
});

test('an eject the engine fails is data: no "done", and the member shows faulty', async (t) => {
  // The member's drive errors just as the eject marks it clean (FaultyFs over the real folder).
  const { members, start } = await harness(t);
  const { dispatch, events, core } = await start();
  const faulty = new FaultyFs(new NodeFs());
  const slow: EngineMemberSpec = { ...members[1]!, fs: faulty };
  await core.create({ members: [members[0]!, slow] });
  const id = core.requireMirror().status().members[1]!.id;
  assert.ok((await dispatch('files.write', ['a.txt', new Uint8Array([1])])).ok);
  faulty.options.failPath = (p) => p.includes('superblock');
  const failed = await dispatch('mirror.eject', [id]);
  assert.ok(!failed.ok);
  assert.equal(failed.error.code, 'EIO');
  assert.equal(failed.error.memberId, id);
  core.events.flush();
  assertNoGaps(events);
  const phases = events.flatMap((e) => (e.event.type === 'eject-progress' ? [e.event.progress.phase] : []));
  assert.ok(phases.includes('flushing') && !phases.includes('done'), `no "done" for an eject that failed: ${phases}`);
  const last = events.findLast((e) => e.event.type === 'mirror-changed')!.event;
  assert.equal(last.type === 'mirror-changed' && last.mirror?.members[1]?.state, 'faulty');
  assert.deepEqual(core.snapshot().ejecting, {});
  const read = await dispatch('files.read', ['a.txt']);
  assert.ok(read.ok, 'the other member still serves');
});

test('uploads and downloads bigger than one message are refused with a clear error', async (t) => {
  const { root, start } = await harness(t);
  const { dispatch, core } = await start();
  assert.ok((await dispatch('mirror.create', [{ members: [{ path: join(root, 'a') }, { path: join(root, 'b') }] }])).ok);
  const big = new Uint8Array(MAX_WRITE_BYTES + 1);
  const up = await dispatch('files.write', ['big.bin', big]);
  assert.equal(!up.ok && up.error.code, 'EBADARGS');
  // The engine takes any size; only the one-message transfer is limited.
  await core.requireMirror().writeFile('big.bin', big);
  const down = await dispatch('files.read', ['big.bin']);
  assert.equal(!down.ok && down.error.code, 'ETOOBIG');
  assert.equal(!down.ok && down.error.path, 'big.bin');
});

test('drive changes are announced with the full list; placement goes to the drives layer', async (t) => {
  const { root, world, start } = await harness(t);
  const { dispatch, core } = await start();
  const usbDrive = drive(join(root, 'usb-drive'), { removable: true, label: 'USB' });
  const announced = nextAppEvent(core, 'drives-changed');
  world.plug(usbDrive);
  const changed = await announced;
  assert.equal(changed.drives.length, 2);
  assert.deepEqual(changed.drives.map((d) => d.mountPoint), [root, usbDrive.mountPoint]);

  const a = join(root, 'a');
  const b = join(root, 'b');
  const issues = await dispatch('drives.checkPlacement', [[{ path: a }, { path: b }]]);
  assert.ok(issues.ok);
  assert.deepEqual(issues.value.map((i) => [i.memberPath, i.code]), [[a, 'SYSTEM_DRIVE'], [b, 'SAME_DRIVE'], [b, 'SYSTEM_DRIVE']]);
  const apart = await dispatch('drives.checkPlacement', [[{ path: a }, { path: join(usbDrive.mountPoint, 'copy') }]]);
  assert.ok(apart.ok);
  assert.deepEqual(apart.value.map((i) => [i.memberPath, i.code]), [[a, 'SYSTEM_DRIVE']], 'a member on the new drive is fine');
});

test('a restart re-assembles the last mirror; a user stop is remembered; shutdown flushes then stops', async (t) => {
  const { members, usb, start } = await harness(t);
  const dir = await tempDir(t);
  const first = await start({}, dir);
  const created = await first.dispatch('mirror.create', [{ members, maxBehindWrites: 8 }]);
  assert.ok(created.ok);
  const mirror = first.core.requireMirror();
  for (let i = 0; i < 4; i++) await mirror.writeFile(`keep${i}.txt`, `kept ${i}`);
  await first.core.shutdown();
  const states = first.events.filter((e) => e.event.type === 'app-state').map((e) => e.event.type === 'app-state' && e.event.state);
  assert.deepEqual(states, ['flushing', 'stopped']);
  for (let i = 0; i < 4; i++) assert.equal(await readFile(join(usb, `keep${i}.txt`), 'utf8'), `kept ${i}`, 'shutdown flushed the slow member');
  await assert.rejects(mirror.writeFile('late.txt', 'x'), { code: 'ESTOPPED' });
  const after = await first.dispatch('files.list', ['']);
  assert.equal(!after.ok && after.error.code, 'ESTOPPED');

  const second = await start({}, dir);
  const reopened = second.core.mirror;
  assert.ok(reopened);
  const status = reopened.status();
  assert.equal(status.id, created.value.id);
  assert.equal(status.maxBehindWrites, 8);
  assert.deepEqual(status.members.map((m) => [m.path, m.writeMostly, m.state]), [[members[0]!.path, false, 'in_sync'], [usb, true, 'in_sync']]);
  const kept = await second.dispatch('files.read', ['keep3.txt']);
  assert.ok(kept.ok && Buffer.from(kept.value).toString() === 'kept 3');
  assert.ok((await second.dispatch('mirror.stop', [])).ok);
  const third = await start({}, dir);
  assert.equal(third.core.mirror, null, 'a mirror the user stopped stays stopped');
  assert.deepEqual(third.core.snapshot().knownMirrors, [{ id: created.value.id, label: 'NAS Mirror', members }], 'and is offered to assemble again');
});

test('a damaged config or a failed re-assemble shows in the snapshot; the app still starts', async (t) => {
  const { members, fast, usb, start } = await harness(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, CONFIG_FILE), '{"version":1,');
  const { dispatch } = await start({}, dir);
  const snap = await dispatch('app.snapshot', []);
  assert.ok(snap.ok && snap.value.configError?.code === 'ECONFIG' && snap.value.mirror === null);

  const dir2 = await tempDir(t);
  const ok = await start({}, dir2);
  assert.ok((await ok.dispatch('mirror.create', [{ members }])).ok);
  await ok.core.shutdown();

  // A damaged superblock on a member: the engine refuses to guess.
  await writeFile(join(fast, '.nas-mirror', 'superblock.json'), '{"mirrorId":42}');
  const damaged = await start({ native: true }, dir2);
  const e1 = damaged.core.snapshot().assembleError;
  assert.equal(e1?.code, 'EIO');
  assert.equal(e1?.path, fast);
  assert.match(e1!.message, /re-assemble/);
  assert.ok(e1!.message.includes(fast), e1!.message);
  assert.equal(damaged.core.mirror, null);
  await damaged.core.shutdown();

  // The saved folders hold no member at all (drives not mounted).
  await rm(join(fast, '.nas-mirror'), { recursive: true });
  await rm(join(usb, '.nas-mirror'), { recursive: true });
  const gone = await start({ native: true }, dir2);
  const e2 = gone.core.snapshot().assembleError;
  assert.equal(e2?.code, 'ENOTMEMBER');
  assert.equal(e2?.path, fast);
  assert.match(e2!.message, /re-assemble/);
  assert.ok((await gone.dispatch('app.snapshot', [])).ok, 'the app still serves');
});

test('settings persist', async (t) => {
  const { start } = await harness(t);
  const dir = await tempDir(t);
  const a = await start({}, dir);
  assert.deepEqual(await a.dispatch('settings.update', [{ notifications: false }]), { ok: true, value: { notifications: false, scrubSchedule: 'monthly', scrubRepair: true } });
  assert.ok((await a.dispatch('settings.update', [{ scrubSchedule: 'weekly' }])).ok);
  assert.equal((await a.dispatch('settings.update', [{ theme: 'x' }])).ok, false);
  const b = await start({}, dir);
  assert.deepEqual(b.core.settings, { notifications: false, scrubSchedule: 'weekly', scrubRepair: true });
});
