import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import FileBrowser from './FileBrowser.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge, FakeError } from '../../testing/fake-bridge.ts';
import type { DirEntry } from '../../../../core/contract/types.ts';

function setup(over: ConstructorParameters<typeof FakeBridge>[0] = {}) {
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
    ...over,
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

test('a folder that does not exist says so, shows no files and does not call itself empty', async () => {
  const { screen } = setup({ 'files.list': (p) => {
    if (p === 'photos/gone') throw new FakeError({ code: 'ENOENT', message: '"photos/gone" does not exist.' });
    return [{ name: 'notes.txt', type: 'file', size: 5, mtimeMs: 0 }];
  } });
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  await screen.rerender({ cwd: 'photos/gone' });
  await expect.element(screen.getByRole('alert')).toHaveTextContent('Cannot list this folder: "photos/gone" does not exist.');
  await expect.element(screen.getByText('Nothing to show. Choose a folder above, or go back to All files.')).toBeVisible();
  expect(screen.container.textContent).not.toContain('This folder is empty');
  expect(screen.getByTestId('file-row').elements()).toHaveLength(0); // not the last folder's files under this name
});

const MiB = 1024 * 1024;
const ID = '00000000-0000-4000-8000-000000000001';

/**
 * Picks a file in the upload input inside the page, as the browser's chooser does. `.upload()` ships the bytes through
 * the test driver, which for a 25 MiB file takes seconds of the test's time on a busy machine; the input's own path is
 * covered by the small upload above.
 */
function pick(screen: ReturnType<typeof setup>['screen'], file: File): void {
  const input = screen.getByTestId('upload-input').element() as HTMLInputElement;
  const dt = new DataTransfer();
  dt.items.add(file);
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

test('a file bigger than one chunk is uploaded in chunks, in order, then committed', async () => {
  const { screen, bridge } = setup();
  const received: Uint8Array[] = [];
  bridge.handlers['files.uploadBegin'] = () => ID;
  bridge.handlers['files.uploadChunk'] = (_id, chunk) => { received.push(chunk); return { received: received.reduce((n, c) => n + c.byteLength, 0) }; };
  bridge.handlers['files.uploadCommit'] = () => {};
  const content = new Uint8Array(17 * MiB).map((_v, i) => i % 251);
  pick(screen, new File([content], 'movie.mkv'));
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded movie.mkv.');
  expect(bridge.callsOf('files.uploadBegin')).toEqual([['movie.mkv']]);
  expect(received.map((c) => c.byteLength)).toEqual([8 * MiB, 8 * MiB, 1 * MiB]);
  expect(received.every((c, k) => c.every((v, i) => v === (k * 8 * MiB + i) % 251))).toBe(true);
  expect(bridge.callsOf('files.uploadCommit')).toEqual([[ID]]);
  expect(bridge.callsOf('files.write')).toEqual([]);
});

test('a failed chunk aborts the upload on the core and says why', async () => {
  const { screen, bridge } = setup();
  bridge.handlers['files.uploadBegin'] = () => ID;
  bridge.handlers['files.uploadChunk'] = () => { throw new FakeError({ code: 'ENOSPC', message: 'Cannot write "movie.mkv": "USB" is full.' }); };
  bridge.handlers['files.transferAbort'] = () => {};
  pick(screen, new File([new Uint8Array(9 * MiB)], 'movie.mkv'));
  await expect.element(screen.getByRole('alert')).toHaveTextContent('movie.mkv: Cannot write "movie.mkv": "USB" is full.');
  expect(bridge.callsOf('files.transferAbort')).toEqual([[ID]]);
  expect(bridge.callsOf('files.uploadCommit')).toEqual([]);
});

test('Cancel upload stops sending chunks and aborts the transfer', async () => {
  const { screen, bridge } = setup();
  // Each chunk is held until Cancel was clicked; one sent after that is answered at once, so a client that kept
  // sending fails the count below instead of hanging on a gate nobody opens.
  const gates: (() => void)[] = [];
  let cancelled = false;
  bridge.handlers['files.uploadBegin'] = () => ID;
  bridge.handlers['files.uploadChunk'] = async () => {
    if (!cancelled) await new Promise<void>((r) => gates.push(r));
    return { received: 8 * MiB };
  };
  bridge.handlers['files.transferAbort'] = () => {};
  pick(screen, new File([new Uint8Array(25 * MiB)], 'big.iso')); // 4 chunks
  await expect.poll(() => gates.length).toBe(2); // both chunks the client may have in flight are waiting
  await screen.getByRole('button', { name: 'Cancel upload' }).click();
  cancelled = true;
  for (const open of gates.splice(0)) open();
  await expect.element(screen.getByRole('alert')).toHaveTextContent('big.iso: cancelled; nothing was changed.');
  expect(bridge.callsOf('files.uploadChunk').length).toBe(2); // the two already in flight, none after Cancel
  expect(bridge.callsOf('files.uploadCommit')).toEqual([]);
  expect(bridge.callsOf('files.transferAbort')).toEqual([[ID]]);
});

test('a big file is downloaded in chunks until the empty one', async () => {
  const { screen, bridge } = setup({ 'files.list': () => [{ name: 'movie.mkv', type: 'file', size: 12 * MiB, mtimeMs: 0 }] });
  const chunks = [new Uint8Array(8 * MiB), new Uint8Array(4 * MiB), new Uint8Array(0)];
  bridge.handlers['files.downloadBegin'] = () => ({ id: ID, size: 12 * MiB });
  bridge.handlers['files.downloadChunk'] = () => chunks.shift()!;
  await screen.getByRole('button', { name: 'Download movie.mkv' }).click();
  await expect.poll(() => bridge.callsOf('files.downloadChunk').length).toBe(3);
  await expect.element(screen.getByRole('button', { name: 'Download movie.mkv' })).toHaveTextContent('Download');
  expect(bridge.callsOf('files.downloadBegin')).toEqual([['movie.mkv']]);
  expect(bridge.callsOf('files.read')).toEqual([]);
  await expect.element(page.getByRole('alert')).not.toBeInTheDocument();
});

test('a batch upload shows every failure with the core\'s reason, and how many of the files made it', async () => {
  const reasons: Record<string, string> = {
    'a:b.txt': '"a:b.txt" has a character the USB Backup (exfat) cannot store: ":".',
    'c\\d.txt': '"c\\d.txt" has a character the USB Backup (exfat) cannot store: "\\".',
    'Notes.TXT': '"Notes.TXT" and "notes.txt" are one name on USB Backup (it ignores case).',
  };
  const { screen, bridge } = setup({
    'files.write': (path) => { if (reasons[path]) throw new FakeError({ code: 'EINVALIDNAME', message: reasons[path]!, path }); },
  });
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  const input = screen.getByTestId('upload-input').element() as HTMLInputElement;
  const dt = new DataTransfer();
  for (const name of ['ok1.txt', 'a:b.txt', 'c\\d.txt', 'Notes.TXT', 'ok2.txt']) dt.items.add(new File(['x'], name));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));

  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded 2 of 5 files.');
  const failures = screen.getByTestId('upload-failures');
  await expect.element(failures).toHaveTextContent('3 items could not be uploaded');
  for (const [name, reason] of Object.entries(reasons)) {
    await expect.element(failures.getByRole('listitem').filter({ hasText: name })).toHaveTextContent(reason);
  }
  expect(bridge.callsOf('files.write').length).toBe(5);
});

test('"New folder" says why Create is disabled', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'New folder' }).click();
  const dialog = page.getByRole('dialog', { name: 'New folder' });
  const create = dialog.getByRole('button', { name: 'Create' });
  await expect.element(create).toBeDisabled();
  await expect.element(dialog).toHaveTextContent('Enter a name.');
  await dialog.getByRole('textbox').fill('..');
  await expect.element(create).toBeDisabled();
  await expect.element(dialog.getByRole('textbox')).toHaveAccessibleDescription('".." means the folder above: choose another name.');
  await dialog.getByRole('textbox').fill('a/b');
  await expect.element(dialog).toHaveTextContent('A name cannot contain "/".');
  await dialog.getByRole('textbox').fill('2026');
  await expect.element(create).toBeEnabled();
  expect(bridge.callsOf('files.mkdir')).toEqual([]);
});

test('while an upload runs, leaving the page asks first; once it is done, it does not', async () => {
  let finish!: () => void;
  const { screen, bridge } = setup({ 'files.write': () => new Promise<void>((r) => { finish = r; }) });
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  const leave = () => {
    const e = new Event('beforeunload', { cancelable: true });
    dispatchEvent(e);
    return e.defaultPrevented;
  };
  expect(leave()).toBe(false);
  await screen.getByTestId('upload-input').upload(new File(['abc'], 'slow.txt'));
  await expect.element(screen.getByRole('progressbar', { name: 'Uploading' })).toBeVisible();
  await expect.poll(() => bridge.callsOf('files.write').length).toBe(1); // the write is with the core, unanswered
  expect(leave()).toBe(true);
  finish();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded slow.txt.');
  expect(leave()).toBe(false);
});
