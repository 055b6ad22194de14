// Which events become history entries, in what words (issue 15, item 5): a drive's failure with its reason, its
// return and catch-up, outside changes; a drive just added is named although its state comes before the new status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryFeed } from './history-feed.ts';
import type { MirrorStatus } from '../contract/types.ts';

const mirror: MirrorStatus = { id: 'm', label: 'Home', state: 'clean', members: [
  { id: 'ssd', label: 'Internal SSD', path: '/ssd/NAS', writeMostly: false, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0 },
  { id: 'usb', label: 'USB Backup', path: '/usb/NAS', writeMostly: true, state: 'in_sync', behindWrites: 0, behindBytes: 0, oldestBehindMs: 0 },
] };

test('a drive fails with its reason, comes back, catches up; each once, with its drive', () => {
  const feed = new HistoryFeed(() => 0, 60_000, (id) => (id === 'new' ? 'Photos Disk' : undefined));
  assert.deepEqual(feed.next({ type: 'mirror-changed', mirror }).map((d) => [d.kind, d.title]), [['mirror', 'Mirror Home opened']]);
  const why = '"USB Backup" was unplugged or its folder vanished. Plug it back in: it catches up with only what changed.';
  assert.deepEqual(feed.next({ type: 'member-state', memberId: 'usb', state: 'faulty', error: why }),
    [{ kind: 'drive-failed', tone: 'bad', memberId: 'usb', label: 'USB Backup', notify: true, title: 'Drive failed: USB Backup', message: why }]);
  assert.deepEqual(feed.next({ type: 'member-state', memberId: 'usb', state: 'faulty', error: why }), [], 'told once');
  const back = feed.next({ type: 'member-state', memberId: 'usb', state: 'resyncing' });
  assert.deepEqual(back.map((d) => [d.kind, d.message]), [['catch-up-start', 'USB Backup is back and catching up with what changed while it was away.']]);
  assert.deepEqual(feed.next({ type: 'member-state', memberId: 'usb', state: 'in_sync' }).map((d) => [d.kind, d.notify]), [['catch-up-done', true]]);
  assert.deepEqual(feed.next({ type: 'member-state', memberId: 'usb', state: 'behind' }), [], 'behind ⇄ in sync is not history');
  const added = feed.next({ type: 'member-state', memberId: 'new', state: 'resyncing' });
  assert.deepEqual(added.map((d) => [d.label, d.message]), [['Photos Disk', 'Photos Disk joined the mirror and is being brought up to date.']]);
  const outside = feed.next({ type: 'outside-change', memberId: 'ssd', path: 'a.txt', change: 'added', outcome: 'taken' });
  assert.equal(outside[0]?.message, 'a.txt added directly on Internal SSD: mirrored to the other drives.');
  assert.deepEqual(feed.next({ type: 'behind', memberId: 'usb', behindWrites: 3, behindBytes: 3 }), []);
  assert.deepEqual(feed.next({ type: 'mirror-changed', mirror: null }).map((d) => d.title), ['Mirror Home stopped']);
});

test('a drive that opens behind the others is said to catch up; an eject names its drive', () => {
  const feed = new HistoryFeed();
  const opened = feed.next({ type: 'mirror-changed', mirror: { ...mirror, members: [mirror.members[0]!, { ...mirror.members[1]!, state: 'resyncing' }] } });
  assert.deepEqual(opened.map((d) => [d.kind, d.message]), [
    ['mirror', 'Mirror "Home" opened with 2 drives.'],
    ['catch-up-start', 'USB Backup is catching up with what changed while it was away.'],
  ]);
  assert.deepEqual(feed.next({ type: 'member-state', memberId: 'usb', state: 'in_sync' }).map((d) => d.kind), ['catch-up-done']);
  const ejected = feed.next({ type: 'eject-progress', memberId: 'usb', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } });
  assert.match(ejected[0]!.message, /^USB Backup is safe to remove/);
  assert.doesNotMatch(ejected[0]!.message, /unmounted/, 'a folder drive (the demo) is only detached: nothing was unmounted');
  feed.next({ type: 'eject-progress', memberId: 'usb', progress: { phase: 'unmounting', behindWrites: 0, behindBytes: 0 } });
  const real = feed.next({ type: 'eject-progress', memberId: 'usb', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } });
  assert.match(real[0]!.message, /the drive is unmounted/, 'a real drive went through its unmount');
});

test('a slow read says what it waits for, and with nothing pending does not speak of waiting for 0 writes', () => {
  const at = { now: 0 };
  const feed = new HistoryFeed(() => at.now, 60_000);
  feed.next({ type: 'mirror-changed', mirror });
  const read = (waitingWrites: number, waitingBytes: number) => {
    at.now += 120_000; // past the quiet time between two slow-read entries
    return feed.next({ type: 'read-fallback', memberId: 'usb', path: 'a.bin', waitingWrites, waitingBytes })[0]?.message;
  };
  assert.equal(read(0, 0), 'No fast drive is available: reads come from USB Backup, a slow drive.');
  assert.equal(read(1, 2048), 'No fast drive is available. Reads wait for 1 write (2 KB) to land on USB Backup.');
  assert.match(read(3, 3 * 1024 * 1024) ?? '', /Reads wait for 3 writes \(3(\.0)? MB\) to land on USB Backup\.$/);
});
