import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import ConflictsPanel from './ConflictsPanel.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, FakeError, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';
import type { Conflict } from '../../../../core/contract/types.ts';

const edited: Conflict = {
  id: 'c-1', path: 'docs/report.txt', detectedAt: Date.UTC(2026, 10, 30, 9, 0), reason: 'It was changed directly on USB Backup, a write-mostly (backup) drive.',
  versions: [
    { memberId: 'ssd', drive: 'Internal SSD', mirror: true, type: 'file', size: 2048, mtimeMs: Date.UTC(2026, 10, 29) },
    { memberId: 'usb', drive: 'USB Backup', mirror: false, type: 'file', size: 4096, mtimeMs: Date.UTC(2026, 10, 30) },
  ],
};
const deleted: Conflict = {
  id: 'c-2', path: 'old.txt', detectedAt: Date.UTC(2026, 10, 30, 9, 5), reason: 'It was deleted directly on USB Backup.',
  versions: [
    { memberId: 'ssd', drive: 'Internal SSD', mirror: true, type: 'file', size: 10, mtimeMs: Date.UTC(2026, 10, 29) },
    { memberId: 'usb', drive: 'USB Backup', mirror: false, type: null },
  ],
};

async function setup(o: { fail?: boolean } = {}) {
  let open = [edited, deleted];
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: mirror([ssd(), usb()], { conflicts: open.length }) }),
    'mirror.conflicts': () => open,
    'mirror.resolveConflict': (id) => {
      if (o.fail) throw new FakeError({ code: 'EIO', message: '"USB Backup" is not answering; nothing was changed.' });
      open = open.filter((c) => c.id !== id);
    },
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { app, bridge, screen: render(ConflictsPanel, { app }) };
}

test('each conflict shows every drive\'s version with its size and time, and why it was not taken', async () => {
  const { screen } = await setup();
  await expect.poll(() => screen.getByTestId('conflict').elements().length).toBe(2);
  const first = screen.getByRole('article', { name: 'docs/report.txt' });
  await expect.element(first).toHaveTextContent('It was changed directly on USB Backup, a write-mostly (backup) drive.');
  const versions = first.getByTestId('version').elements().map((e) => e.textContent?.replace(/\s+/g, ' ').trim());
  expect(versions[0]).toMatch(/^Internal SSD Mirror's version 2 KB, modified /);
  expect(versions[1]).toMatch(/^USB Backup Changed on the drive 4 KB, modified /);
  await expect.element(first.getByRole('button', { name: 'Keep both' })).toBeInTheDocument();
  const second = screen.getByRole('article', { name: 'old.txt' });
  await expect.element(second).toHaveTextContent('USB Backup Changed on the drive deleted');
  await expect.element(second.getByRole('button', { name: 'Keep both' })).not.toBeInTheDocument();
});

test('resolving calls the core with the choice and the drive, and the conflict leaves the list', async () => {
  const { screen, bridge } = await setup();
  const first = screen.getByRole('article', { name: 'docs/report.txt' });
  await first.getByRole('button', { name: "Take USB Backup's version" }).click();
  await expect.poll(() => bridge.callsOf('mirror.resolveConflict')).toEqual([['c-1', 'take-drive', 'usb']]);
  await expect.poll(() => screen.getByTestId('conflict').elements().length).toBe(1);
  await screen.getByRole('article', { name: 'old.txt' }).getByRole('button', { name: "Keep the mirror's version" }).click();
  await expect.poll(() => bridge.callsOf('mirror.resolveConflict')[1]).toEqual(['c-2', 'keep-mirror', undefined]);
  await expect.element(screen.getByTestId('no-conflicts')).toBeInTheDocument();
});

test('a resolution that fails says why and keeps the conflict', async () => {
  const { screen } = await setup({ fail: true });
  const first = screen.getByRole('article', { name: 'docs/report.txt' });
  await first.getByRole('button', { name: 'Keep both' }).click();
  await expect.element(first.getByRole('alert')).toHaveTextContent('"USB Backup" is not answering; nothing was changed.');
  expect(screen.getByTestId('conflict').elements()).toHaveLength(2);
});
