import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import MemberCard from './MemberCard.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, FakeError, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';
import type { MemberStatus } from '../../../../core/contract/types.ts';

const MiB = 1024 * 1024;

async function setup(u: Partial<MemberStatus> = {}) {
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ mirror: mirror([ssd(), usb(u)]) }) });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { bridge, app };
}

test('shows lag, flush ETA and the files not yet on the drive', async () => {
  const { app } = await setup({ state: 'behind', behindWrites: 12, behindBytes: 4 * MiB, writeBytesPerSecond: 2 * MiB,
    oldestBehindMs: 3000, behindPaths: ['a.txt', 'photos/b.jpg'] });
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByText('Behind', { exact: true })).toBeVisible();
  await expect.element(screen.getByText('write-mostly')).toBeVisible();
  await expect.element(screen.getByTestId('lag-writes')).toHaveTextContent('12');
  await expect.element(screen.getByTestId('lag-bytes')).toHaveTextContent('4 MB');
  await expect.element(screen.getByTestId('lag-eta')).toHaveTextContent('2 s');
  await expect.element(screen.getByTestId('behind-paths')).toHaveTextContent('photos/b.jpg');
  await expect.element(screen.getByText('and 10 more writes')).toBeVisible();
  await expect.element(screen.getByRole('img', { name: /Lag of USB Backup/ })).toBeVisible();
});

test('eject: confirm with ETA → flushing → unmounting → safe to remove only when done', async () => {
  const { bridge, app } = await setup({ state: 'behind', behindWrites: 4, behindBytes: 2 * MiB, writeBytesPerSecond: MiB });
  let finish!: () => void;
  bridge.handlers['mirror.eject'] = () => new Promise<void>((r) => { finish = r; });
  const screen = render(MemberCard, { app, member: app.member('usb')! });

  await screen.getByRole('button', { name: 'Eject USB Backup…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Eject USB Backup?' });
  await expect.element(dialog).toHaveTextContent('4 writes (2 MB) still have to reach USB Backup: about 2 s');
  await dialog.getByRole('button', { name: 'Eject' }).click();
  expect(bridge.callsOf('mirror.eject')).toEqual([['usb']]);

  bridge.emit(11, { type: 'eject-progress', memberId: 'usb', progress: { phase: 'flushing', behindWrites: 2, behindBytes: MiB, etaMs: 1000 } });
  bridge.emit(12, { type: 'behind', memberId: 'usb', behindWrites: 2, behindBytes: MiB });
  screen.rerender({ member: app.member('usb')! });
  const bar = screen.getByRole('progressbar', { name: 'Flushing to USB Backup' });
  await expect.element(bar).toHaveAttribute('aria-valuenow', '50');
  await expect.element(screen.getByTestId('eject-area')).toHaveTextContent('about 1 s left');
  await expect.element(screen.getByText(/Safe to remove/)).not.toBeInTheDocument();

  bridge.emit(13, { type: 'eject-progress', memberId: 'usb', progress: { phase: 'unmounting', behindWrites: 0, behindBytes: 0 } });
  await expect.element(screen.getByTestId('eject-area')).toHaveTextContent('unmounting USB Backup');
  await expect.element(screen.getByText(/Safe to remove/)).not.toBeInTheDocument();

  bridge.emit(14, { type: 'eject-progress', memberId: 'usb', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } });
  finish();
  await expect.element(screen.getByTestId('safe-to-remove')).toHaveTextContent('Safe to remove USB Backup');
});

test('a failed eject explains itself and offers to try again', async () => {
  const { bridge, app } = await setup();
  bridge.handlers['mirror.eject'] = () => { throw new FakeError({ code: 'EUNMOUNT', message: 'The drive is busy: a program has a file open on it.' }); };
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await screen.getByRole('button', { name: 'Eject USB Backup…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Eject' }).click();
  const alert = screen.getByRole('alert');
  await expect.element(alert).toHaveTextContent('USB Backup was not ejected.');
  await expect.element(alert).toHaveTextContent('a program has a file open on it');
  await expect.element(screen.getByRole('button', { name: 'Eject USB Backup…' })).toBeVisible();
  await expect.element(screen.getByText(/Safe to remove/)).not.toBeInTheDocument();
});

test('resync progress bar and re-add for a removed member', async () => {
  const { bridge, app } = await setup({ state: 'resyncing', resync: { donePaths: 3, totalPaths: 10, doneBytes: 25, totalBytes: 100 } });
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByRole('progressbar', { name: 'Catching up USB Backup' })).toHaveAttribute('aria-valuenow', '25');

  bridge.handlers['mirror.addMember'] = () => 'usb';
  const removed = await setup({ state: 'removed' });
  removed.bridge.handlers['mirror.addMember'] = () => 'usb';
  screen.unmount();
  const s2 = render(MemberCard, { app: removed.app, member: removed.app.member('usb')! });
  await s2.getByRole('button', { name: 'Re-add' }).click();
  expect(removed.bridge.callsOf('mirror.addMember')).toEqual([[{ path: '/mnt/usb/NAS Mirror', writeMostly: true, label: 'USB Backup' }]]);
});

test('a detached drive can be forgotten, after a confirmation that says what that means', async () => {
  const { bridge, app } = await setup({ state: 'removed', behindWrites: 0, behindBytes: 0 });
  bridge.handlers['mirror.forgetMember'] = () => undefined;
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByRole('button', { name: 'Re-add' })).toBeVisible();
  await screen.getByRole('button', { name: 'Forget…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Forget USB Backup?' });
  await expect.element(dialog).toHaveTextContent('copied over in full');
  expect(bridge.callsOf('mirror.forgetMember')).toEqual([]);
  await dialog.getByRole('button', { name: 'Forget' }).click();
  expect(bridge.callsOf('mirror.forgetMember')).toEqual([['usb']]);
});

test('an attached drive offers eject, not forget', async () => {
  const { app } = await setup({ state: 'in_sync' });
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByRole('button', { name: 'Eject USB Backup…' })).toBeVisible();
  await expect.element(screen.getByRole('button', { name: 'Forget…' })).not.toBeInTheDocument();
});

// -- adoption (issue 11, part 1): a long copy shows its ETA, from the rate of the last seconds --
test('a resync shows files, bytes and an ETA from its recent rate', async () => {
  let now = 0;
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ mirror: mirror([ssd(), usb({ state: 'resyncing' })]) }) });
  const app = new AppState(bridge, { tickMs: 0, clock: () => now });
  await app.start();
  const progress = (donePaths: number, doneBytes: number) =>
    app.apply({ type: 'resync-progress', memberId: 'usb', donePaths, totalPaths: 2000, doneBytes, totalBytes: 10 * MiB });
  progress(0, 0);
  expect(app.resyncEta.etaMs('usb', app.member('usb')!.resync)).toBeNull(); // nothing to go on yet
  now = 2000;
  progress(400, 2 * MiB);
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByRole('progressbar', { name: 'Catching up USB Backup' }))
    .toHaveAttribute('aria-valuetext', '400 of 2000 files · 2 MB of 10 MB · about 8 s left');
});

test('"Not yet on this drive" follows the behind events: a file that landed leaves the list with its count', async () => {
  const { bridge, app } = await setup({ state: 'behind', behindWrites: 2, behindBytes: 2 * MiB, writeBytesPerSecond: MiB,
    behindPaths: ['a.txt', 'b.txt'] });
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByTestId('behind-paths')).toHaveTextContent('a.txt');

  bridge.emit(11, { type: 'behind', memberId: 'usb', behindWrites: 1, behindBytes: MiB, behindPaths: ['b.txt'], writeBytesPerSecond: MiB });
  screen.rerender({ member: app.member('usb')! });
  await expect.element(screen.getByTestId('lag-writes')).toHaveTextContent('1');
  await expect.element(screen.getByTestId('behind-paths')).toHaveTextContent('b.txt');
  await expect.element(screen.getByTestId('behind-paths')).not.toHaveTextContent('a.txt');
});

test('flush ETA says "estimating…" until the core knows the drive\'s rate, then follows the rate it reports', async () => {
  const { bridge, app } = await setup({ state: 'behind', behindWrites: 3, behindBytes: 6 * MiB, writeBytesPerSecond: 0, behindPaths: ['a', 'b', 'c'] });
  const screen = render(MemberCard, { app, member: app.member('usb')! });
  await expect.element(screen.getByTestId('lag-eta')).toHaveTextContent('estimating…');

  bridge.emit(11, { type: 'behind', memberId: 'usb', behindWrites: 2, behindBytes: 4 * MiB, behindPaths: ['b', 'c'], writeBytesPerSecond: 2 * MiB });
  screen.rerender({ member: app.member('usb')! });
  await expect.element(screen.getByTestId('lag-eta')).toHaveTextContent('2 s');
  await expect.element(screen.getByText('Takes writes at about 2 MB/s')).toBeVisible();
});

test('ejecting the last fast drive says reads will come from the slow one; ejecting the slow one does not', async () => {
  const { app } = await setup();
  const screen = render(MemberCard, { app, member: app.member('ssd')! });
  await screen.getByRole('button', { name: 'Eject Internal SSD…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Eject Internal SSD?' });
  // The dialog said only "ejecting it is quick" and "The mirror keeps working without it"; then every read waited on USB.
  await expect.element(dialog.getByTestId('eject-slow-only')).toHaveTextContent('It is the last fast drive: until it is back, every read comes from USB Backup, a slow drive');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  screen.unmount();

  const usbCard = render(MemberCard, { app, member: app.member('usb')! });
  await usbCard.getByRole('button', { name: 'Eject USB Backup…' }).click();
  await expect.element(page.getByRole('dialog', { name: 'Eject USB Backup?' })).toBeVisible();
  expect(page.getByTestId('eject-slow-only').elements()).toHaveLength(0);
});
