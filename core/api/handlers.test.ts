import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import type { AppCoreOptions } from './app-core.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import type { EventEnvelope } from './contract.ts';
import { MAX_WRITE_BYTES } from './contract.ts';
import { CONFIG_FILE } from './config-store.ts';
import { fakeDeps } from '../../test/helpers/fake-core.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

async function setup(t: Parameters<typeof tempDir>[0], extra: Partial<AppCoreOptions> = {}, configDir?: string) {
  const deps = fakeDeps();
  const core = await AppCore.start({ deps, configDir: configDir ?? await tempDir(t), native: false, log: () => {}, coalesceMs: 1, ...extra });
  const events: EventEnvelope[] = [];
  core.events.subscribe((e) => events.push(e));
  t.after(() => core.shutdown());
  return { deps, core, events, dispatch: createDispatch(createHandlers(core)) };
}

const members = [{ path: '/fast' }, { path: '/usb', writeMostly: true }];

test('unknown methods, bad arguments and thrown errors all come back as data', async (t) => {
  const { dispatch } = await setup(t);
  assert.equal((await dispatch('fs.rmrf', [])).ok, false);
  const unknown = await dispatch('constructor', []);
  assert.equal(!unknown.ok && unknown.error.code, 'EUNKNOWNMETHOD');
  const notArray = await dispatch('files.read', 'a.txt');
  assert.equal(!notArray.ok && notArray.error.code, 'EBADARGS');
  const badType = await dispatch('files.write', ['a', 'not bytes']);
  assert.equal(!badType.ok && badType.error.code, 'EBADARGS');
  const tooFew = await dispatch('mirror.create', [{ members: [{ path: '/one' }] }]);
  assert.equal(!tooFew.ok && tooFew.error.code, 'EBADARGS');
  const noMirror = await dispatch('files.read', ['a.txt']);
  assert.equal(!noMirror.ok && noMirror.error.code, 'ESTOPPED');
  const engine = await dispatch('mirror.create', [{ members: [{ path: '/readonly' }, { path: '/b' }] }]);
  assert.deepEqual(engine, { ok: false, error: { code: 'EREADONLY', message: 'The folder /readonly is read-only.', path: '/readonly', memberId: undefined } });
});

test('create, write, read, eject: results, numbered events and mirror-changed snapshots', async (t) => {
  const { dispatch, events, core } = await setup(t);
  const created = await dispatch('mirror.create', [{ members, label: 'Home' }]);
  assert.ok(created.ok);
  assert.equal((await dispatch('mirror.create', [{ members }])).ok, false, 'a second mirror is refused while one is open');
  assert.deepEqual(await dispatch('files.write', ['a.txt', new Uint8Array([1, 2])]), { ok: true, value: undefined });
  assert.deepEqual(await dispatch('files.read', ['a.txt']), { ok: true, value: new Uint8Array([1, 2]) });
  const bad = await dispatch('files.write', ['../x', new Uint8Array(1)]);
  assert.equal(!bad.ok && bad.error.code, 'EINVALIDPATH');
  assert.deepEqual(await dispatch('mirror.eject', ['m1']), { ok: true, value: undefined });
  core.events.flush();
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'seq has no gaps');
  const types = events.map((e) => e.event.type);
  assert.equal(types[0], 'mirror-changed');
  const progress = events.filter((e) => e.event.type === 'eject-progress').map((e) => e.event.type === 'eject-progress' && e.event.progress.phase);
  assert.deepEqual(progress, ['flushing', 'flushing', 'unmounting', 'done']);
  const last = events.findLast((e) => e.event.type === 'mirror-changed')!.event;
  assert.equal(last.type === 'mirror-changed' && last.mirror?.members[1]?.state, 'removed');
  const snap = await dispatch('app.snapshot', []);
  assert.ok(snap.ok && snap.value.seq === core.events.seq && snap.value.mirror?.label === 'Home');
});

test('uploads and downloads bigger than one message are refused with a clear error', async (t) => {
  const { dispatch, deps } = await setup(t);
  await dispatch('mirror.create', [{ members }]);
  const big = new Uint8Array(MAX_WRITE_BYTES + 1);
  const up = await dispatch('files.write', ['big.bin', big]);
  assert.equal(!up.ok && up.error.code, 'EBADARGS');
  deps.mirrors[0]!.files.set('big.bin', big);
  const down = await dispatch('files.read', ['big.bin']);
  assert.equal(!down.ok && down.error.code, 'ETOOBIG');
  assert.equal(!down.ok && down.error.path, 'big.bin');
});

test('drive changes are announced with the full list; placement goes to the drives layer', async (t) => {
  const { dispatch, events, deps } = await setup(t);
  deps.drives = [...deps.drives, { ...deps.drives[0]!, mountPoint: '/media/new' }];
  for (const l of deps.driveListeners) l({ type: 'added', drive: deps.drives[1]! });
  await new Promise((r) => setImmediate(r));
  const changed = events.find((e) => e.event.type === 'drives-changed')!.event;
  assert.equal(changed.type === 'drives-changed' && changed.drives.length, 2);
  const issues = await dispatch('drives.checkPlacement', [[{ path: '/' }]]);
  assert.ok(issues.ok && issues.value[0]?.code === 'SYSTEM');
});

test('a restart re-assembles the last mirror; a user stop is remembered; shutdown flushes then stops', async (t) => {
  const dir = await tempDir(t);
  const first = await setup(t, {}, dir);
  assert.ok((await first.dispatch('mirror.create', [{ members, maxBehindWrites: 8 }])).ok);
  await first.core.shutdown();
  const states = first.events.filter((e) => e.event.type === 'app-state').map((e) => e.event.type === 'app-state' && e.event.state);
  assert.deepEqual(states, ['flushing', 'stopped']);
  assert.equal(first.deps.mirrors[0]!.stopped, true);
  const after = await first.dispatch('files.list', ['']);
  assert.equal(!after.ok && after.error.code, 'ESTOPPED');

  const second = await setup(t, {}, dir);
  assert.deepEqual(second.deps.opened, [{ members, maxBehindWrites: 8, maxBehindBytes: undefined }]);
  assert.ok(second.core.mirror);
  assert.ok((await second.dispatch('mirror.stop', [])).ok);
  const third = await setup(t, {}, dir);
  assert.equal(third.core.mirror, null, 'a mirror the user stopped stays stopped');
  assert.deepEqual(third.core.snapshot().knownMirrors, [{ id: 'mirror-1', label: 'Fake', members }], 'and is offered to assemble again');
});

test('a damaged config or a failed re-assemble shows in the snapshot; the app still starts', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, CONFIG_FILE), '{"version":1,');
  const { dispatch } = await setup(t, {}, dir);
  const snap = await dispatch('app.snapshot', []);
  assert.ok(snap.ok && snap.value.configError?.code === 'ECONFIG' && snap.value.mirror === null);

  const dir2 = await tempDir(t);
  const ok = await setup(t, {}, dir2);
  await ok.dispatch('mirror.create', [{ members }]);
  await ok.core.shutdown();
  const deps = fakeDeps({ failOpen: true });
  const core = await AppCore.start({ deps, configDir: dir2, native: true, log: () => {} });
  t.after(() => core.shutdown());
  assert.equal(core.snapshot().assembleError?.code, 'ENOMEMBER');
  assert.match(core.snapshot().assembleError!.message, /re-assemble/);
});

test('settings persist', async (t) => {
  const dir = await tempDir(t);
  const a = await setup(t, {}, dir);
  assert.deepEqual(await a.dispatch('settings.update', [{ notifications: false }]), { ok: true, value: { notifications: false } });
  assert.equal((await a.dispatch('settings.update', [{ theme: 'x' }])).ok, false);
  const b = await setup(t, {}, dir);
  assert.deepEqual(b.core.settings, { notifications: false });
});
