import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import FileBrowser from './FileBrowser.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge } from '../../testing/fake-bridge.ts';
import type { DirEntry } from '../../../../core/api/types.ts';

function setup() {
  const tree: Record<string, DirEntry[]> = {
    '': [{ name: 'photos', type: 'dir', size: 0, mtimeMs: 0 }, { name: 'notes.txt', type: 'file', size: 5, mtimeMs: 0 }],
    photos: [{ name: 'beach.jpg', type: 'file', size: 2048, mtimeMs: 0 }],
  };
  const bridge = new FakeBridge({
    'files.list': (p) => tree[p] ?? [],
    'files.write': () => {},
    'files.mkdir': () => {},
    'files.rename': () => {},
    'files.remove': () => {},
    'files.read': () => new TextEncoder().encode('hello'),
  });
  const screen = render(FileBrowser, { client: new Client(bridge) });
  return { bridge, screen };
}

test('browses into folders and back with the breadcrumb', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await expect.element(screen.getByText('beach.jpg')).toBeVisible();
  await expect.element(screen.getByText('2 KB')).toBeVisible();
  await screen.getByRole('button', { name: 'All files' }).click();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  expect(bridge.callsOf('files.list')).toEqual([[''], ['photos'], ['']]);
});

test('upload from the file input writes the bytes into the current folder', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await screen.getByTestId('upload-input').upload(new File(['abc'], 'new.txt', { type: 'text/plain' }));
  await expect.poll(() => bridge.callsOf('files.write').length).toBe(1);
  const [path, bytes] = bridge.callsOf('files.write')[0] as [string, Uint8Array];
  expect(path).toBe('photos/new.txt');
  expect(new TextDecoder().decode(bytes)).toBe('abc');
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded new.txt.');
});

test('dropping files uploads them', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  const zone = screen.getByTestId('dropzone').element();
  const dt = new DataTransfer();
  dt.items.add(new File(['x'], 'dropped.bin'));
  zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0])).toEqual(['dropped.bin']);
});

test('new folder, rename, and delete after confirmation call the right methods', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'New folder' }).click();
  await page.getByRole('dialog', { name: 'New folder' }).getByRole('textbox').fill('2025');
  await page.getByRole('dialog', { name: 'New folder' }).getByRole('button', { name: 'Create' }).click();
  await expect.poll(() => bridge.callsOf('files.mkdir')).toEqual([['2025']]);

  await screen.getByRole('button', { name: 'Rename notes.txt' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename notes.txt' });
  await rename.getByRole('textbox').fill('todo.txt');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await expect.poll(() => bridge.callsOf('files.rename')).toEqual([['notes.txt', 'todo.txt']]);

  await screen.getByRole('button', { name: 'Delete notes.txt' }).click();
  const del = page.getByRole('dialog', { name: 'Delete notes.txt?' });
  await expect.element(del).toHaveTextContent('deleted from every drive');
  expect(bridge.callsOf('files.remove')).toEqual([]);
  await del.getByRole('button', { name: 'Delete' }).click();
  await expect.poll(() => bridge.callsOf('files.remove')).toEqual([['notes.txt']]);
});

test('download reads the file through the API', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'Download notes.txt' }).click();
  await expect.poll(() => bridge.callsOf('files.read')).toEqual([['notes.txt']]);
  await expect.element(page.getByRole('alert')).not.toBeInTheDocument();
});

test('an error from the core is shown', async () => {
  const { screen, bridge } = setup();
  bridge.handlers['files.mkdir'] = () => { throw new (class extends Error {})('x'); };
  await screen.getByRole('button', { name: 'New folder' }).click();
  await page.getByRole('dialog', { name: 'New folder' }).getByRole('textbox').fill('bad');
  await page.getByRole('dialog', { name: 'New folder' }).getByRole('button', { name: 'Create' }).click();
  await expect.element(screen.getByRole('alert')).toBeVisible();
});
