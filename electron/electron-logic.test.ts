import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardedCall, isTrustedSender } from './ipc-guard.ts';
import type { SenderFacts, TrustedRenderer } from './ipc-guard.ts';
import { externalUrl, navigationAllowed } from './nav-policy.ts';
import { noticeOf, trayHealth } from './health.ts';
import { HistoryFeed } from '../core/app/history-feed.ts';
import type { AppEvent } from '../core/contract/contract.ts';
import type { Dispatch } from '../core/app/handlers.ts';
import { createDispatch } from '../core/app/handlers.ts';
import type { Handlers } from '../core/contract/contract.ts';
import type { MirrorStatus } from '../core/contract/types.ts';

const trusted: TrustedRenderer = { webContentsId: 7, indexUrl: 'file:///opt/NAS%20Mirror/resources/app.asar/dist/renderer/index.html' };
const good: SenderFacts = { webContentsId: 7, isMainFrame: true, frameUrl: `${trusted.indexUrl}#/files` };

test('IPC serves only our window, its main frame, showing our index.html', () => {
  assert.equal(isTrustedSender(good, trusted), true);
  assert.equal(isTrustedSender({ ...good, webContentsId: 8 }, trusted), false, 'another window');
  assert.equal(isTrustedSender({ ...good, isMainFrame: false }, trusted), false, 'an iframe');
  assert.equal(isTrustedSender({ ...good, frameUrl: null }, trusted), false, 'a destroyed frame');
  assert.equal(isTrustedSender({ ...good, frameUrl: 'https://evil.example/index.html' }, trusted), false);
  assert.equal(isTrustedSender({ ...good, frameUrl: 'file:///tmp/index.html' }, trusted), false, 'another local page');
  assert.equal(isTrustedSender({ ...good, frameUrl: 'not a url' }, trusted), false);
});

test('a foreign sender, an unknown method and bad arguments get error data; handlers never run', async () => {
  let ran = 0;
  const handlers = new Proxy({}, { get: () => async () => { ran++; return null; } }) as Handlers;
  const dispatch: Dispatch = createDispatch(handlers);
  const foreign = await guardedCall(dispatch, { ...good, webContentsId: 99 }, trusted, 'app.snapshot', []);
  assert.equal(!foreign.ok && foreign.error.code, 'EFORBIDDEN');
  const beforeReady = await guardedCall(dispatch, good, null, 'app.snapshot', []);
  assert.equal(!beforeReady.ok && beforeReady.error.code, 'EFORBIDDEN');
  const unknown = await guardedCall(dispatch, good, trusted, 'shell.openPath', ['/']);
  assert.equal(!unknown.ok && unknown.error.code, 'EUNKNOWNMETHOD');
  const bad = await guardedCall(dispatch, good, trusted, 'files.read', [42]);
  assert.equal(!bad.ok && bad.error.code, 'EBADARGS');
  assert.equal(ran, 0);
  assert.deepEqual(await guardedCall(dispatch, good, trusted, 'files.read', ['a']), { ok: true, value: null });
  assert.equal(ran, 1);
});

test('navigation stays on index.html; only https links leave, to the OS browser', () => {
  assert.equal(navigationAllowed(`${trusted.indexUrl}#/drives`, trusted.indexUrl), true);
  for (const url of ['https://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'nonsense']) assert.equal(navigationAllowed(url, trusted.indexUrl), false, url);
  assert.equal(externalUrl('https://github.com/x'), 'https://github.com/x');
  for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://nas/share', 'https://user:pw@example.com/']) assert.equal(externalUrl(url), null, url);
});

const status = (over: Partial<MirrorStatus['members'][number]>[] = []): MirrorStatus => ({
  id: 'm', label: 'Home', state: 'active',
  members: [
    { id: 'a', label: 'Internal SSD', path: '/a', writeMostly: false, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0, ...over[0] },
    { id: 'b', label: 'USB Backup', path: '/b', writeMostly: true, state: 'behind', behindWrites: 3, behindBytes: 3 << 20, oldestBehindMs: 10, ...over[1] },
  ],
});

test('the tray says how the mirror is', () => {
  assert.equal(trayHealth(null, 'running').level, 'off');
  assert.match(trayHealth(status(), 'running').tooltip, /healthy, USB Backup catching up/);
  assert.deepEqual(trayHealth(status(), 'running').lines, ['Internal SSD: in sync', 'USB Backup: 3 writes (3.0 MB) behind']);
  const failed = trayHealth(status([{ state: 'faulty' }]), 'running');
  assert.equal(failed.level, 'warning');
  assert.match(failed.tooltip, /Internal SSD failed/);
  assert.match(trayHealth(status(), 'flushing').tooltip, /flushing/);
});

test('notifications come from history entries: failure, fallback once per quiet period, safe to remove, resync finished', () => {
  let now = 0;
  const feed = new HistoryFeed(() => now, 1000);
  feed.seed(status([{}, { state: 'resyncing' }]));
  // What the desktop shows for an event: the notice of each entry it adds to the history.
  const p = { next: (e: AppEvent) => feed.next(e).map((d) => noticeOf({ id: 1, at: now, ...d })).find(Boolean) ?? null };
  assert.match(p.next({ type: 'member-state', memberId: 'a', state: 'faulty' })!.title, /Drive failed: Internal SSD/);
  assert.equal(p.next({ type: 'member-state', memberId: 'a', state: 'faulty' }), null);
  const fb = { type: 'read-fallback', memberId: 'b', path: 'x', waitingWrites: 2, waitingBytes: 100 } as const;
  assert.match(p.next(fb)!.title, /Reading from USB Backup/);
  assert.equal(p.next(fb), null);
  now = 2000;
  assert.ok(p.next(fb));
  assert.equal(p.next({ type: 'eject-progress', memberId: 'b', progress: { phase: 'flushing', behindWrites: 1, behindBytes: 1 } }), null);
  assert.match(p.next({ type: 'eject-progress', memberId: 'b', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } })!.title, /Safe to remove USB Backup/);
  assert.match(p.next({ type: 'member-state', memberId: 'b', state: 'in_sync' })!.title, /Resync finished/);
  assert.equal(p.next({ type: 'behind', memberId: 'b', behindWrites: 1, behindBytes: 1 }), null);
  assert.equal(noticeOf({ id: 2, at: 0, kind: 'outside-change', tone: 'info', title: 'Changed on USB', message: 'x' }), null, 'not every entry is a notification');
});
