import { expect, test } from 'vitest';
import { Client } from './client.ts';
import { LiveSnapshot } from './live-snapshot.svelte.ts';
import { FakeBridge, mirror, snapshot, ssd, usb } from '../testing/fake-bridge.ts';

function setup(snap = snapshot()) {
  const files: string[][] = [];
  const live = new LiveSnapshot(new Client(new FakeBridge()), (paths) => files.push(paths));
  live.adopt(snap, 1_000);
  return { live, files };
}

test('a behind event sets the counts, the paths not yet on the drive, the lag chart and since when', () => {
  const { live } = setup();
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 2, behindBytes: 300, behindPaths: ['a', 'b'] }, 2_000);
  expect(live.member('usb')).toMatchObject({ behindWrites: 2, behindBytes: 300, behindPaths: ['a', 'b'] });
  expect(live.lag.series('usb').at(-1)).toMatchObject({ writes: 2, bytes: 300 });
  expect(live.behindSince('usb')).toBe(2_000);
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 1, behindBytes: 100 }, 3_000);
  expect(live.member('usb')?.behindPaths).toEqual(['a', 'b']); // no paths sent: the last ones stand
  expect(live.behindSince('usb')).toBe(2_000); // still the oldest
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 0, behindBytes: 0 }, 4_000);
  expect(live.member('usb')).toMatchObject({ behindPaths: [], oldestBehindMs: 0 });
  expect(live.behindSince('usb')).toBeUndefined();
});

test('the flush rate is the core\'s measurement carried by behind events, never guessed from two events\' timing', () => {
  const { live } = setup();
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 4, behindBytes: 4 * 1024 * 1024 }, 1_000);
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 3, behindBytes: 3 * 1024 * 1024 }, 1_001); // once 1 GB/s
  expect(live.member('usb')?.writeBytesPerSecond).toBeUndefined();
  live.apply({ type: 'behind', memberId: 'usb', behindWrites: 2, behindBytes: 2 * 1024 * 1024, writeBytesPerSecond: 5_000_000 }, 1_002);
  expect(live.member('usb')?.writeBytesPerSecond).toBe(5_000_000);
});

test('a drive that fails or is removed owes nothing any more; in sync ends its resync', () => {
  const { live } = setup(snapshot({ mirror: mirror([ssd(), usb({ behindWrites: 3, behindBytes: 30, oldestBehindMs: 200 })]) }));
  expect(live.behindSince('usb')).toBe(800);
  live.apply({ type: 'member-state', memberId: 'usb', state: 'faulty' }, 2_000);
  expect(live.member('usb')).toMatchObject({ state: 'faulty', behindWrites: 0, behindBytes: 0, behindPaths: [] });
  expect(live.behindSince('usb')).toBeUndefined();
  live.apply({ type: 'resync-progress', memberId: 'usb', donePaths: 1, totalPaths: 2, doneBytes: 1, totalBytes: 2 }, 3_000);
  expect(live.member('usb')?.resync).toEqual({ donePaths: 1, totalPaths: 2, doneBytes: 1, totalBytes: 2 });
  live.apply({ type: 'member-state', memberId: 'usb', state: 'in_sync' }, 4_000);
  expect(live.member('usb')?.resync).toBeUndefined();
});

test('"safe to remove" is forgotten once the member is back; an instant fallback read is not a notice', () => {
  const { live } = setup();
  live.apply({ type: 'eject-progress', memberId: 'usb', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } }, 1_000);
  live.apply({ type: 'member-state', memberId: 'usb', state: 'removed' }, 1_000);
  expect(live.ejects.stage('usb')).toBe('done');
  live.apply({ type: 'member-state', memberId: 'usb', state: 'resyncing' }, 1_000);
  expect(live.ejects.stage('usb')).toBe('idle');

  live.apply({ type: 'read-fallback', memberId: 'usb', path: 'x', waitingWrites: 0, waitingBytes: 0 }, 1_000);
  live.apply({ type: 'read-fallback-done', memberId: 'usb', path: 'x', waitedMs: 0 }, 1_000);
  expect(live.fallback.noticeable).toEqual([]);
});

test('a whole new mirror, drives or settings replace the snapshot\'s; a healed read is counted', () => {
  const { live } = setup();
  live.apply({ type: 'mirror-changed', mirror: mirror([usb({ behindWrites: 1, behindBytes: 5, oldestBehindMs: 100 })]) }, 2_000);
  expect(live.mirror?.members.map((m) => m.id)).toEqual(['usb']);
  expect(live.behindSince('usb')).toBe(1_900);
  live.apply({ type: 'drives-changed', drives: [] }, 2_000);
  live.apply({ type: 'settings-changed', settings: { notifications: false } }, 2_000);
  expect(live.snapshot?.settings).toEqual({ notifications: false });
  live.apply({ type: 'read-healed', memberId: 'usb', path: 'a', reason: 'checksum' }, 3_000);
  expect(live.mirror?.readErrorsCorrected).toBe(1);
  expect(live.healed).toEqual([{ memberId: 'usb', path: 'a', reason: 'checksum', at: 3_000 }]);
  live.apply({ type: 'app-state', state: 'flushing' }, 3_000);
  expect(live.phase).toBe('flushing');
});

test('history entries land in the activity log, newest first; changed files are told to the listener', () => {
  const { live, files } = setup();
  const entry = (id: number, message: string) => ({ id, at: 1_000 + id, kind: 'eject' as const, tone: 'ok' as const, memberId: 'usb', label: 'USB Backup', title: message, message });
  live.apply({ type: 'member-state', memberId: 'usb', state: 'behind' }, 1_000);
  live.apply({ type: 'history', entry: entry(1, 'Internal SSD failed') }, 1_000);
  live.apply({ type: 'history', entry: entry(2, 'USB Backup is safe to remove') }, 1_000);
  expect(live.activity.items.map((a) => a.message)).toEqual(['USB Backup is safe to remove', 'Internal SSD failed']);
  live.apply({ type: 'files-changed', paths: ['a.txt', 'b/c.txt'] }, 1_000);
  expect(files).toEqual([['a.txt', 'b/c.txt']]);
});
