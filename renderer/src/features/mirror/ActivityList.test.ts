// Recent activity is the core's event history (issue 15, item 5): a reload shows what happened before it, live entries
// are added on top, and the list filters by drive and by kind.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import ActivityList from './ActivityList.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, snapshot } from '../../testing/fake-bridge.ts';
import { matchesHistory, type HistoryEntry } from '../../../../core/contract/history.ts';

const at = Date.parse('2026-11-30T10:00:00Z');
const stored: HistoryEntry[] = [
  { id: 4, at: at + 4000, kind: 'scrub-result', tone: 'ok', title: 'Scheduled repair finished', message: 'Scheduled repair finished: 120 files compared, 0 mismatches, 0 repaired.' },
  { id: 3, at: at + 3000, kind: 'catch-up-done', tone: 'ok', memberId: 'usb', label: 'USB Backup', title: 'Resync finished', message: 'USB Backup is up to date again.' },
  { id: 2, at: at + 2000, kind: 'drive-failed', tone: 'bad', memberId: 'usb', label: 'USB Backup', title: 'Drive failed: USB Backup', message: '"USB Backup" was unplugged or its folder vanished. Plug it back in.' },
  { id: 1, at: at + 1000, kind: 'outside-change', tone: 'info', memberId: 'ssd', label: 'Internal SSD', title: 'Changed on Internal SSD', message: 'notes.txt added directly on Internal SSD: mirrored to the other drives.' },
];

/** A page (re)loaded: a new AppState over a core that already holds the history. */
async function load(entries = stored) {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot(),
    // The core's filter, as history.list applies it.
    'history.list': (q = {}) => entries.filter((e) => matchesHistory(e, q)).slice(0, q.limit),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(ActivityList, { log: app.activity, members: app.mirror!.members });
  return { app, bridge, screen };
}

const shown = (screen: Awaited<ReturnType<typeof load>>['screen']) =>
  screen.getByRole('listitem').elements().map((li) => li.querySelector('span:last-child')?.textContent);

test('after a reload the history is there, newest first, and live entries go on top', async () => {
  const { screen, bridge } = await load();
  await expect.poll(() => shown(screen)).toEqual(stored.map((e) => e.message));
  bridge.emit(11, { type: 'history', entry: { id: 5, at: at + 5000, kind: 'eject', tone: 'ok', memberId: 'usb', label: 'USB Backup', title: 'Safe to remove USB Backup', message: 'Every write has landed. You can unplug it now.' } });
  await expect.poll(() => shown(screen)[0]).toBe('Every write has landed. You can unplug it now.');
  expect(shown(screen)).toHaveLength(5);
});

test('filters by drive and by kind, asking the core, and live entries follow the filter', async () => {
  const { screen, bridge } = await load();
  await expect.poll(() => shown(screen)).toHaveLength(4);

  await screen.getByRole('combobox', { name: 'Drive' }).selectOptions('USB Backup');
  await expect.poll(() => shown(screen)).toEqual(['USB Backup is up to date again.', '"USB Backup" was unplugged or its folder vanished. Plug it back in.']);
  expect(bridge.callsOf('history.list').at(-1)).toEqual([{ limit: 200, memberId: 'usb' }]);

  await screen.getByRole('combobox', { name: 'Kind' }).selectOptions('Drive failures');
  await expect.poll(() => shown(screen)).toEqual(['"USB Backup" was unplugged or its folder vanished. Plug it back in.']);
  expect(bridge.callsOf('history.list').at(-1)).toEqual([{ limit: 200, memberId: 'usb', kinds: ['drive-failed'] }]);

  // A live entry of another drive or kind is not shown under this filter.
  bridge.emit(11, { type: 'history', entry: { id: 5, at: at + 5000, kind: 'drive-failed', tone: 'bad', memberId: 'ssd', label: 'Internal SSD', title: 'Drive failed: Internal SSD', message: 'Internal SSD stopped answering.' } });
  bridge.emit(12, { type: 'history', entry: { id: 6, at: at + 6000, kind: 'drive-failed', tone: 'bad', memberId: 'usb', label: 'USB Backup', title: 'Drive failed: USB Backup', message: 'USB Backup is full.' } });
  await expect.poll(() => shown(screen)).toEqual(['USB Backup is full.', '"USB Backup" was unplugged or its folder vanished. Plug it back in.']);

  await screen.getByRole('combobox', { name: 'Kind' }).selectOptions('Outside changes');
  await expect.element(screen.getByText('Nothing of this kind yet.')).toBeVisible();
  await screen.getByRole('combobox', { name: 'Drive' }).selectOptions('All drives');
  await expect.poll(() => shown(screen)).toEqual(['notes.txt added directly on Internal SSD: mirrored to the other drives.']);
});

test('a long history comes a page at a time: "Show older" brings the rest', async () => {
  const many: HistoryEntry[] = Array.from({ length: 250 }, (_, i) => ({ id: 250 - i, at: at + (250 - i) * 1000, kind: 'outside-change', tone: 'info', title: 't', message: `change ${250 - i}` }));
  const { screen, bridge } = await load(many);
  await expect.poll(() => shown(screen)).toHaveLength(200);
  await screen.getByRole('button', { name: 'Show older' }).click();
  await expect.poll(() => shown(screen)).toHaveLength(250);
  expect(shown(screen).at(-1)).toBe('change 1');
  expect(bridge.callsOf('history.list').at(-1)).toEqual([{ limit: 200, before: 51 }]);
  await expect.element(screen.getByRole('button', { name: 'Show older' })).not.toBeInTheDocument();
});
