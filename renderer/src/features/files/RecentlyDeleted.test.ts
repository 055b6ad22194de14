// Recently deleted (issue 11, part 4): the list, restore (asking when the name is taken), delete now, empty all, the
// retention setting, and the way there and back from Files.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import RecentlyDeleted from './RecentlyDeleted.svelte';
import FilesView from './FilesView.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge, FakeError } from '../../testing/fake-bridge.ts';
import type { DeletedEntry, DirEntry } from '../../../../core/contract/types.ts';
import { nextFreeName } from './paths.ts';

const at = Date.parse('2025-03-01T10:00:00Z');
const entries = (): DeletedEntry[] => [
  { id: `${at}-0000aaaa`, path: 'docs/report.pdf', type: 'file', size: 2048, deletedAt: at, reason: 'deleted', drives: ['SSD', 'USB'] },
  { id: `${at - 1000}-0000bbbb`, path: 'old photos', type: 'dir', size: 5 * 1024 * 1024, deletedAt: at - 1000, reason: 'deleted', drives: ['SSD', 'USB'] },
  { id: `${at - 2000}-0000cccc`, path: 'notes.txt', type: 'file', size: 3, deletedAt: at - 2000, reason: 'replaced', drives: ['USB'] },
];

function setup(over: { taken?: boolean } = {}) {
  let list = entries();
  const docs: DirEntry[] = [{ name: 'report.pdf', type: 'file', size: 1, mtimeMs: 0 }, { name: 'report (1).pdf', type: 'file', size: 1, mtimeMs: 0 }];
  const bridge = new FakeBridge({
    'deleted.list': () => list,
    'deleted.restore': (id, o) => {
      const e = list.find((x) => x.id === id)!;
      if (over.taken && !o?.replace && !o?.to) throw new FakeError({ code: 'EEXIST', message: `"${e.path}" already exists.`, path: e.path });
      list = list.filter((x) => x.id !== id);
      return o?.to ?? e.path;
    },
    'deleted.purge': (which) => { list = which === 'all' ? [] : list.filter((x) => x.id !== which); },
    'files.list': (p) => (p === 'docs' ? docs : []),
    'settings.update': (patch) => ({ notifications: true, ...patch }),
  });
  const screen = render(RecentlyDeleted, { client: new Client(bridge), retentionDays: 30 });
  return { bridge, screen };
}

test('lists what was deleted, newest first, with size, time and what replaced it', async () => {
  const { screen } = setup();
  await expect.poll(() => screen.getByTestId('deleted-row').elements().map((e) => e.dataset.path)).toEqual(['docs/report.pdf', 'old photos', 'notes.txt']);
  await expect.element(screen.getByText('in docs')).toBeVisible();
  await expect.element(screen.getByRole('cell', { name: '5 MB', exact: true })).toBeVisible();
  await expect.element(screen.getByText('replaced', { exact: true })).toBeVisible();
  await expect.element(screen.getByText(/kept until/).first()).toBeVisible();
  await expect.element(screen.getByText('3 items · 5 MB')).toBeVisible();
  await expect.element(screen.getByText('only on USB')).toBeVisible(); // kept by one drive only: say which
});

test('restore writes the entry back and it leaves the list', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'Restore old photos' }).click();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Restored old photos.');
  expect(bridge.callsOf('deleted.restore')).toEqual([[`${at - 1000}-0000bbbb`]]);
  await expect.poll(() => screen.getByTestId('deleted-row').elements().length).toBe(2);
});

test('restore onto a name that exists asks: Keep both restores under a free name, Replace replaces, Skip leaves it', async () => {
  const { screen, bridge } = setup({ taken: true });
  const dialog = page.getByRole('dialog', { name: '“report.pdf” already exists' });
  await screen.getByRole('button', { name: 'Restore docs/report.pdf' }).click();
  await expect.element(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Skip' }).click();
  await expect.element(screen.getByRole('status')).toHaveTextContent('docs/report.pdf was not restored.');
  expect(bridge.callsOf('deleted.restore')).toEqual([[`${at}-0000aaaa`]]);

  await screen.getByRole('button', { name: 'Restore docs/report.pdf' }).click();
  await dialog.getByRole('button', { name: 'Keep both' }).click();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Restored as docs/report (2).pdf.');
  expect(bridge.callsOf('deleted.restore').at(-1)).toEqual([`${at}-0000aaaa`, { to: 'docs/report (2).pdf' }]);

  await screen.getByRole('button', { name: 'Restore notes.txt' }).click();
  await page.getByRole('dialog', { name: '“notes.txt” already exists' }).getByRole('button', { name: 'Replace' }).click();
  await expect.poll(() => bridge.callsOf('deleted.restore').at(-1)).toEqual([`${at - 2000}-0000cccc`, { replace: true }]);
});

test('delete now and empty all ask for confirmation, then purge', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'Delete notes.txt now' }).click();
  const one = page.getByRole('dialog', { name: 'Delete notes.txt for good?' });
  await expect.element(one).toHaveTextContent('cannot be undone');
  expect(bridge.callsOf('deleted.purge')).toEqual([]);
  await one.getByRole('button', { name: 'Delete now' }).click();
  await expect.poll(() => bridge.callsOf('deleted.purge')).toEqual([[`${at - 2000}-0000cccc`]]);
  await expect.poll(() => screen.getByTestId('deleted-row').elements().length).toBe(2);

  await screen.getByRole('button', { name: 'Empty all' }).click();
  await page.getByRole('dialog', { name: 'Empty Recently deleted?' }).getByRole('button', { name: 'Empty all' }).click();
  await expect.poll(() => bridge.callsOf('deleted.purge').at(-1)).toEqual(['all']);
  await expect.element(screen.getByText('Nothing was deleted recently.')).toBeVisible();
  await expect.element(screen.getByRole('button', { name: 'Empty all' })).toBeDisabled();
});

test('the retention setting goes to settings.update', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByTestId('retention')).toHaveValue('30');
  await screen.getByTestId('retention').selectOptions('7');
  await expect.poll(() => bridge.callsOf('settings.update')).toEqual([[{ deletedRetentionDays: 7 }]]);
  await expect.element(screen.getByRole('status')).toHaveTextContent('kept 7 days');
  await screen.getByTestId('retention').selectOptions('0');
  await expect.poll(() => bridge.callsOf('settings.update').at(-1)).toEqual([{ deletedRetentionDays: 0 }]);
});

test('Files → Recently deleted → back to the same folder', async () => {
  const bridge = new FakeBridge({
    'files.list': (p) => (p === '' ? [{ name: 'photos', type: 'dir', size: 0, mtimeMs: 0 }] : [{ name: 'a.jpg', type: 'file', size: 1, mtimeMs: 0 }]),
    'deleted.list': () => entries(),
  });
  const screen = render(FilesView, { client: new Client(bridge), retentionDays: 30 });
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await expect.element(screen.getByText('a.jpg')).toBeVisible();
  await screen.getByRole('button', { name: 'Recently deleted' }).click();
  await expect.element(screen.getByRole('heading', { name: 'Recently deleted' })).toBeVisible();
  await expect.poll(() => screen.getByTestId('deleted-row').elements().length).toBe(3);
  await screen.getByRole('button', { name: '← Files' }).click();
  await expect.element(screen.getByText('a.jpg')).toBeVisible();
  expect(bridge.callsOf('files.list').at(-1)).toEqual(['photos']);
});

test('nextFreeName: "name (1).ext", counting on from a number, folders and dot-files, case-blind', () => {
  expect(nextFreeName('pic.jpg', ['pic.jpg'])).toBe('pic (1).jpg');
  expect(nextFreeName('pic.jpg', ['pic.jpg', 'PIC (1).JPG'])).toBe('pic (2).jpg');
  expect(nextFreeName('pic (3).jpg', ['pic (3).jpg'])).toBe('pic (4).jpg');
  expect(nextFreeName('Photos', ['Photos'])).toBe('Photos (1)');
  expect(nextFreeName('.bashrc', ['.bashrc'])).toBe('.bashrc (1)');
  expect(nextFreeName('archive.tar.gz', [])).toBe('archive.tar (1).gz');
});
