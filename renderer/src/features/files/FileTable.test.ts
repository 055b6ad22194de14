// Big folders and long names (issue 15, item 8): sort, filter, pages; a long name never squeezes the row's buttons.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import FileTable from './FileTable.svelte';
import '../../app.css'; // the app's button sizes: what decides whether a row's buttons fit on one line
import type { DirEntry } from '../../../../core/contract/types.ts';

const file = (name: string, size: number, mtimeMs: number): DirEntry => ({ name, type: 'file', size, mtimeMs });
const big = Array.from({ length: 500 }, (_, i) => file(`img-${String(i).padStart(3, '0')}.jpg`, (i * 7919) % 1000 + 1, i * 1000));
const noop = () => {};
const show = (entries: DirEntry[]) => render(FileTable, { entries, progressOf: () => undefined, onopen: noop, ondownload: noop, onrename: noop, ondelete: noop });
const names = (screen: ReturnType<typeof show>) => screen.getByTestId('file-row').elements().map((r) => r.getAttribute('data-name'));

test('a 500-file folder is drawn a page at a time, with a way to show more', async () => {
  const screen = show(big);
  await expect.element(screen.getByTestId('row-count')).toHaveTextContent('500 items');
  expect(names(screen)).toHaveLength(100);
  await screen.getByRole('button', { name: 'Show 100 more' }).click();
  await expect.poll(() => names(screen).length).toBe(200);
  await expect.element(screen.getByText('Showing 200 of 500')).toBeVisible();
});

test('sorts by name (numbers in order), size and date, folders first; the header says which way', async () => {
  await page.viewport(1000, 700);
  const entries = [file('b10.txt', 5, 3), file('b9.txt', 50, 1), { name: 'zzz', type: 'dir', size: 0, mtimeMs: 0 } as DirEntry, file('a.txt', 500, 2)];
  const screen = show(entries);
  expect(names(screen)).toEqual(['zzz', 'a.txt', 'b9.txt', 'b10.txt']);
  await screen.getByRole('button', { name: 'Size' }).click();
  await expect.poll(() => names(screen)).toEqual(['zzz', 'a.txt', 'b9.txt', 'b10.txt']); // biggest first
  await expect.element(screen.getByRole('columnheader', { name: /Size/ })).toHaveAttribute('aria-sort', 'descending');
  await screen.getByRole('button', { name: 'Size' }).click();
  await expect.poll(() => names(screen)).toEqual(['zzz', 'b10.txt', 'b9.txt', 'a.txt']);
  await screen.getByRole('button', { name: 'Modified' }).click();
  await expect.poll(() => names(screen)).toEqual(['zzz', 'b10.txt', 'a.txt', 'b9.txt']); // newest first
  await screen.getByRole('button', { name: /^Name/ }).click();
  await expect.poll(() => names(screen)).toEqual(['zzz', 'a.txt', 'b9.txt', 'b10.txt']);
});

test('the filter keeps the names that contain what is typed, and says how many of how many', async () => {
  const screen = show(big);
  await screen.getByRole('searchbox').fill('IMG-04');
  await expect.poll(() => names(screen)).toEqual(Array.from({ length: 10 }, (_, i) => `img-04${i}.jpg`));
  await expect.element(screen.getByTestId('row-count')).toHaveTextContent('10 of 500 items');
  await screen.getByRole('searchbox').fill('nothing like it');
  await expect.element(screen.getByText('Nothing here is called “nothing like it”.')).toBeVisible();
});

test('a 250-character name is cut with its full name on hover and on focus; the buttons keep their size, at 360 px too', async () => {
  const long = `${'a-very-long-name-'.repeat(14)}end.txt`.slice(0, 250);
  await page.viewport(360, 640);
  const screen = show([file(long, 10, 0), file('short.txt', 10, 0)]);
  const row = screen.getByTestId('file-row').filter({ hasText: 'end.txt' });
  const cell = row.element().querySelector('td.name')!;
  const label = cell.querySelector('.label')!;
  expect(cell.getAttribute('title')).toBe(long);
  expect(label.scrollWidth).toBeGreaterThan(label.clientWidth); // cut, not wrapped mid-word
  const shortButton = screen.getByRole('button', { name: 'Delete short.txt' }).element().getBoundingClientRect();
  const longButton = row.getByRole('button', { name: `Delete ${long}` }).element().getBoundingClientRect();
  expect(longButton.width).toBe(shortButton.width);
  expect(longButton.right).toBeLessThanOrEqual(document.documentElement.clientWidth);

  await row.getByRole('button', { name: `Rename ${long}` }).element().focus();
  await expect.poll(() => label.scrollWidth <= label.clientWidth).toBe(true); // shown whole while the row has focus
});

test('on a wide screen a file row keeps Download, Rename and Delete on one line', async () => {
  await page.viewport(1280, 800);
  const screen = show([file('notes.txt', 10, 0)]);
  const tops = ['Download', 'Rename', 'Delete'].map((b) => screen.getByRole('button', { name: `${b} notes.txt` }).element().getBoundingClientRect().top);
  expect(new Set(tops).size).toBe(1); // one line: a wrapped Delete doubled every file row's height
});
