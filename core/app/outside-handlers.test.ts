// The contract's outside-change methods over a real AppCore and engine: findings, conflicts, resolve, reconcile, and
// the status the header reads (issue 11, part 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import type { CoreDeps } from './app-deps.ts';
import { coreDeps } from './core-deps.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import type { EventEnvelope } from '../contract/contract.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

async function started(t: Parameters<typeof tempDir>[0]) {
  const root = await realpath(await tempDir(t));
  const deps: CoreDeps = { ...coreDeps(), listDrives: async () => [], watchDrives: () => Object.assign(() => {}, { ready: Promise.resolve() }), attachHotplug: undefined };
  const core = await AppCore.start({ deps, configDir: await tempDir(t), native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine' });
  t.after(() => core.shutdown());
  const events: EventEnvelope[] = [];
  core.events.subscribe((e) => events.push(e));
  const dispatch = createDispatch(createHandlers(core));
  const fast = join(root, 'fast'), usb = join(root, 'usb');
  const created = await dispatch('mirror.create', [{ members: [{ path: fast, label: 'SSD' }, { path: usb, label: 'USB', writeMostly: true }] }]);
  assert.ok(created.ok);
  return { core, dispatch, events, fast, usb };
}

test('scrub findings, conflicts, resolve and reconcile through the contract; the status carries what is open', async (t) => {
  const { core, dispatch, events, usb } = await started(t);
  assert.ok((await dispatch('files.write', ['notes.txt', new TextEncoder().encode('the mirror version')])).ok);
  await core.requireMirror().drain();
  await writeFile(join(usb, 'notes.txt'), 'edited on the USB drive');

  const check = await dispatch('mirror.scrub', [{ repair: false }]);
  assert.ok(check.ok);
  assert.deepEqual(check.value.findings!.map((f) => [f.path, f.drive, f.kind, f.action]), [['notes.txt', 'USB', 'changed-outside', 'conflict']]);
  assert.ok(events.some((e) => e.event.type === 'scrub-finding'));
  const findings = await dispatch('mirror.findings', []);
  assert.ok(findings.ok && findings.value.length === 1);
  assert.equal(core.snapshot().mirror?.openFindings, 1, 'the snapshot the header reads has it');

  assert.ok((await dispatch('mirror.reconcile', [])).ok);
  const list = await dispatch('mirror.conflicts', []);
  assert.ok(list.ok);
  assert.equal(list.value.length, 1);
  assert.equal(core.snapshot().mirror?.conflicts, 1);
  assert.ok(events.some((e) => e.event.type === 'conflicts-changed' && e.event.count === 1));
  assert.ok(events.some((e) => e.event.type === 'outside-change' && e.event.outcome === 'conflict' && e.event.path === 'notes.txt'));

  const bad = await dispatch('mirror.resolveConflict', [list.value[0]!.id, 'keep-neither']);
  assert.equal(!bad.ok && bad.error.code, 'EBADARGS');
  const gone = await dispatch('mirror.resolveConflict', ['no-such-conflict', 'keep-mirror']);
  assert.equal(!gone.ok && gone.error.code, 'ENOTFOUND');

  assert.ok((await dispatch('mirror.resolveConflict', [list.value[0]!.id, 'take-drive'])).ok);
  await core.requireMirror().drain();
  const status = core.snapshot().mirror!;
  assert.deepEqual([status.conflicts, status.openFindings], [0, 0]);
  const read = await dispatch('files.read', ['notes.txt']);
  assert.equal(read.ok && new TextDecoder().decode(read.value), 'edited on the USB drive');
  assert.equal(await readFile(join(usb, 'notes.txt'), 'utf8'), 'edited on the USB drive');
});
