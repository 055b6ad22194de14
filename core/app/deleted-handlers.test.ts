// The contract's side of issue 11 parts 3 and 4, through the one dispatch both transports call, over the real engine:
// files.rename refuses to replace unless asked, deleted.* lists, restores and purges, settings.update sets retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import { validateCall } from '../contract/contract.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

async function started(t: Parameters<typeof tempDir>[0]) {
  const root = await realpath(await tempDir(t));
  const core = await AppCore.start({
    deps: { ...coreDeps(), listDrives: async () => [], watchDrives: () => Object.assign(() => {}, { ready: Promise.resolve() }) },
    configDir: join(root, 'config'), native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine',
  });
  t.after(() => core.shutdown());
  const dispatch = createDispatch(createHandlers(core));
  const created = await dispatch('mirror.create', [{ members: [{ path: join(root, 'a') }, { path: join(root, 'b') }] }]);
  assert.ok(created.ok, JSON.stringify(created));
  return { core, dispatch };
}

test('the contract validates the new arguments', () => {
  assert.ok(validateCall('files.rename', ['a', 'b']).ok, 'options are optional');
  assert.ok(validateCall('files.rename', ['a', 'b', { replace: true }]).ok);
  assert.equal(validateCall('files.rename', ['a', 'b', { replace: 'yes' }]).ok, false);
  assert.equal(validateCall('files.rename', ['a', 'b', { overwrite: true }]).ok, false, 'strict: no unknown options');
  assert.ok(validateCall('deleted.restore', ['1735689600000-ab12cd34', { to: 'x', replace: true }]).ok);
  assert.equal(validateCall('deleted.restore', ['../../etc']).ok, false, 'an id is an id, not a path');
  assert.ok(validateCall('deleted.purge', ['all']).ok);
  assert.equal(validateCall('deleted.purge', []).ok, false);
  assert.equal(validateCall('settings.update', [{ deletedRetentionDays: -1 }]).ok, false);
  assert.equal(validateCall('settings.update', [{ deletedRetentionDays: 2.5 }]).ok, false);
});

test('files.rename onto an existing file: EEXIST as data, then replaced with {replace: true}; deleted.* restore it', async (t) => {
  const { dispatch } = await started(t);
  assert.ok((await dispatch('files.write', ['a.txt', new TextEncoder().encode('A')])).ok);
  assert.ok((await dispatch('files.write', ['b.txt', new TextEncoder().encode('B')])).ok);
  const refused = await dispatch('files.rename', ['a.txt', 'b.txt']);
  assert.ok(!refused.ok);
  assert.equal(refused.error.code, 'EEXIST');
  assert.equal(refused.error.path, 'b.txt');
  assert.ok((await dispatch('files.rename', ['a.txt', 'b.txt', { replace: true }])).ok);

  const list = await dispatch('deleted.list', []);
  assert.ok(list.ok);
  assert.deepEqual(list.value.map((e) => [e.path, e.reason]), [['b.txt', 'replaced']]);
  const id = list.value[0]!.id;
  const again = await dispatch('deleted.restore', [id]);
  assert.ok(!again.ok && again.error.code === 'EEXIST', 'restoring onto the taken name asks');
  const restored = await dispatch('deleted.restore', [id, { to: 'b (1).txt' }]);
  assert.deepEqual(restored, { ok: true, value: 'b (1).txt' });
  const read = await dispatch('files.read', ['b (1).txt']);
  assert.ok(read.ok && new TextDecoder().decode(read.value) === 'B');

  assert.ok((await dispatch('files.remove', ['b (1).txt'])).ok);
  assert.ok((await dispatch('deleted.purge', ['all'])).ok);
  assert.deepEqual(await dispatch('deleted.list', []), { ok: true, value: [] });
});

test('settings.update carries the retention to the mirror (its superblock), not to the app config', async (t) => {
  const { core, dispatch } = await started(t);
  assert.equal(core.snapshot().settings?.deletedRetentionDays, 30);
  const r = await dispatch('settings.update', [{ deletedRetentionDays: 9 }]);
  assert.ok(r.ok);
  assert.equal(r.value.deletedRetentionDays, 9);
  assert.equal(core.mirror?.status().deletedRetentionDays, 9);
  const after = await dispatch('settings.update', [{ notifications: false }]);
  assert.ok(after.ok);
  assert.equal(after.value.notifications, false);
  assert.equal(after.value.deletedRetentionDays, 9, 'the mirror\'s retention comes with the app\'s settings');
});
