// The event history (issue 15, item 5): kept across an app restart, bounded, and readable after a crash tore its last
// line; history.list validates its filter. Real temp folders and the real engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import { EventHistory, HISTORY_FILE } from './event-history.ts';
import type { AppEvent } from '../contract/contract.ts';
import type { HistoryEntry } from '../contract/history.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

type T = Parameters<typeof tempDir>[0];

async function startCore(t: T, configDir: string) {
  const core = await AppCore.start({
    deps: { ...coreDeps(), listDrives: async () => [], watchDrives: () => Object.assign(() => {}, { ready: Promise.resolve() }) },
    configDir, native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine',
  });
  t.after(() => core.shutdown());
  return { core, dispatch: createDispatch(createHandlers(core)) };
}

function nextHistory(core: AppCore, kind: HistoryEntry['kind']): Promise<HistoryEntry> {
  return new Promise((resolve) => {
    const off = core.events.subscribe(({ event }: { event: AppEvent }) => {
      if (event.type === 'history' && event.entry.kind === kind) { off(); resolve(event.entry); }
    });
  });
}

const draft = (n: number) => ({ kind: 'outside-change' as const, tone: 'info' as const, memberId: 'usb', label: 'USB', title: `t${n}`, message: `m${n}` });

test('a drive failure stays in the history across an app restart, with its drive and reason', async (t) => {
  const root = await realpath(await tempDir(t));
  const configDir = join(root, 'config');
  const first = await startCore(t, configDir);
  const created = await first.dispatch('mirror.create', [{ label: 'Home', members: [{ path: join(root, 'a'), label: 'SSD' }, { path: join(root, 'b'), label: 'USB Backup', writeMostly: true }] }]);
  assert.ok(created.ok, JSON.stringify(created));
  const usbId = created.value.members[1]!.id;
  const failed = nextHistory(first.core, 'drive-failed');
  assert.ok((await first.dispatch('mirror.failMember', [usbId])).ok);
  const entry = await failed;
  assert.equal(entry.memberId, usbId);
  assert.equal(entry.label, 'USB Backup');
  assert.equal(entry.title, 'Drive failed: USB Backup');
  assert.match(entry.message, /USB Backup/);
  await first.core.shutdown();

  const second = await startCore(t, configDir);
  const listed = await second.dispatch('history.list', [{ memberId: usbId }]);
  assert.ok(listed.ok);
  assert.deepEqual(listed.value.filter((e) => e.kind === 'drive-failed'), [entry], 'the same entry, after the restart');
  const all = await second.dispatch('history.list', []);
  assert.ok(all.ok);
  assert.ok(all.value.some((e) => e.kind === 'mirror' && e.title === 'Mirror Home opened'));
  const ids = all.value.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
});

test('the history keeps only the last `limit` entries, in memory and on disk', async (t) => {
  const dir = await tempDir(t);
  const h = await EventHistory.open(dir, { limit: 5 });
  for (let i = 1; i <= 12; i++) h.append(draft(i), 1000 + i);
  assert.equal(h.size, 5);
  assert.deepEqual(h.list().map((e) => e.id), [12, 11, 10, 9, 8]);
  assert.deepEqual(h.list({ limit: 2, before: 11 }).map((e) => e.id), [10, 9]);
  await h.close();
  const lines = (await readFile(join(dir, HISTORY_FILE), 'utf8')).split('\n').filter(Boolean);
  assert.equal(lines.length, 5, 'the file holds the live entries only');
  const again = await EventHistory.open(dir, { limit: 5 });
  assert.deepEqual(again.list().map((e) => [e.id, e.title]), [[12, 't12'], [11, 't11'], [10, 't10'], [9, 't9'], [8, 't8']]);
  assert.equal(again.append(draft(13), 2000).id, 13, 'numbering goes on after a restart');
  await again.close();
});

test('a torn last line (a crash mid-append) is dropped; the entries before it and after it are kept', async (t) => {
  for (const torn of ['+"000000000000004"\t{"id":4,"at":10', '+"0000000000']) {
    const dir = await tempDir(t);
    const h = await EventHistory.open(dir);
    for (let i = 1; i <= 3; i++) h.append(draft(i), i);
    await h.close();
    await appendFile(join(dir, HISTORY_FILE), torn);
    const reopened = await EventHistory.open(dir);
    assert.deepEqual(reopened.list().map((e) => e.id), [3, 2, 1]);
    reopened.append(draft(4), 4);
    await reopened.flush();
    const third = await EventHistory.open(dir);
    assert.deepEqual(third.list().map((e) => e.title), ['t4', 't3', 't2', 't1'], 'the next entry did not land on the torn line');
    await reopened.close();
    await third.close();
  }
});

test('history.list refuses a bad filter with a clear error and changes nothing; a good one filters', async (t) => {
  const root = await realpath(await tempDir(t));
  const { core, dispatch } = await startCore(t, join(root, 'config'));
  assert.ok((await dispatch('mirror.create', [{ members: [{ path: join(root, 'a') }, { path: join(root, 'b') }] }])).ok);
  const before = core.history();
  assert.ok(before.length > 0);
  for (const bad of [[{ limit: 0 }], [{ kinds: ['everything'] }], [{ memberId: 5 }], [{ before: -1 }], [{ since: 3 }], ['all']]) {
    const r = await dispatch('history.list', bad);
    assert.ok(!r.ok, JSON.stringify(bad));
    assert.equal(r.error.code, 'EBADARGS');
    assert.match(r.error.message, /^Bad arguments for history\.list: /);
  }
  assert.deepEqual(core.history(), before, 'nothing changed');
  const mirrors = await dispatch('history.list', [{ kinds: ['mirror'], limit: 1 }]);
  assert.ok(mirrors.ok);
  assert.deepEqual(mirrors.value.map((e) => e.kind), ['mirror']);
  const none = await dispatch('history.list', [{ kinds: ['drive-failed'] }]);
  assert.deepEqual(none, { ok: true, value: [] });
});
