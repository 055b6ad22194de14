// No silent overwrite (issue 11, part 3): renames and uploads onto names that exist ask first — Replace / Keep both /
// Skip, "apply to all" for a batch — and folder uploads (picked or dropped) keep their structure.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page, userEvent } from 'vitest/browser';
import FileBrowser from './FileBrowser.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge, FakeError } from '../../testing/fake-bridge.ts';
import type { DirEntry } from '../../../../core/contract/types.ts';
import type { EntryLike } from './folder-upload.ts';

const file = (name: string, size = 1): DirEntry => ({ name, type: 'file', size, mtimeMs: 0 });
const dir = (name: string): DirEntry => ({ name, type: 'dir', size: 0, mtimeMs: 0 });

function setup() {
  const tree: Record<string, DirEntry[]> = { '': [dir('photos'), file('notes.txt'), file('todo.txt')], photos: [file('a.jpg')] };
  const bridge = new FakeBridge({
    'files.list': (p) => {
      if (!(p in tree)) throw new FakeError({ code: 'ENOTFOUND', message: `"${p}" does not exist.` });
      return tree[p]!;
    },
    'files.write': () => {},
    'files.mkdir': () => {},
    'files.rename': (_from, to, o) => {
      if (!o?.replace && tree['']!.some((e) => e.name === to)) throw new FakeError({ code: 'EEXIST', message: `"${to}" already exists.`, path: to });
    },
  });
  const screen = render(FileBrowser, { client: new Client(bridge) });
  return { bridge, screen, tree };
}

const conflict = () => page.getByRole('dialog', { name: /already exists/ });

async function renameTo(screen: ReturnType<typeof setup>['screen'], from: string, to: string) {
  await screen.getByRole('button', { name: `Rename ${from}` }).click();
  const d = page.getByRole('dialog', { name: `Rename ${from}` });
  await d.getByRole('textbox').fill(to);
  await d.getByRole('button', { name: 'Rename' }).click();
}

test('renaming onto a name that exists asks; Replace renames with replace, Keep both picks a free name, Skip does nothing', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();

  await renameTo(screen, 'notes.txt', 'todo.txt');
  await expect.element(conflict()).toBeVisible();
  await expect.element(conflict()).toHaveTextContent('“todo.txt” already exists');
  expect(bridge.callsOf('files.rename')).toEqual([['notes.txt', 'todo.txt']]);
  await conflict().getByRole('button', { name: 'Replace' }).click();
  await expect.poll(() => bridge.callsOf('files.rename')).toEqual([['notes.txt', 'todo.txt'], ['notes.txt', 'todo.txt', { replace: true }]]);
  await expect.element(screen.getByRole('status')).toHaveTextContent('Recently deleted');

  await renameTo(screen, 'notes.txt', 'todo.txt');
  await conflict().getByRole('button', { name: 'Keep both' }).click();
  await expect.poll(() => bridge.callsOf('files.rename').at(-1)).toEqual(['notes.txt', 'todo (1).txt']);
  await expect.element(screen.getByRole('status')).toHaveTextContent('Renamed notes.txt to todo (1).txt.');

  const before = bridge.callsOf('files.rename').length;
  await renameTo(screen, 'notes.txt', 'todo.txt');
  await conflict().getByRole('button', { name: 'Skip' }).click();
  await expect.element(screen.getByRole('status')).toHaveTextContent('notes.txt was not renamed.');
  expect(bridge.callsOf('files.rename').length).toBe(before + 1); // only the refused try
});

test('a file cannot replace a folder: Replace is offered disabled', async () => {
  const { screen, bridge } = setup();
  bridge.handlers['files.rename'] = (_f, to) => { throw new FakeError({ code: 'EEXIST', message: `"${to}" already exists as a folder.` }); };
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  await renameTo(screen, 'notes.txt', 'photos');
  await expect.element(conflict().getByRole('button', { name: 'Replace' })).toBeDisabled();
  await expect.element(conflict()).toHaveTextContent('cannot be replaced');
  await userEvent.keyboard('{Escape}'); // Escape is Skip
  await expect.element(conflict()).not.toBeInTheDocument();
  expect(bridge.callsOf('files.rename')).toEqual([['notes.txt', 'photos']]);
});

test('uploading a name that exists asks before writing: Keep both writes "name (1).ext", Skip writes nothing', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  await screen.getByTestId('upload-input').upload(new File(['new'], 'notes.txt'));
  await expect.element(conflict()).toBeVisible();
  expect(bridge.callsOf('files.write')).toEqual([]); // nothing written while the question is open
  await conflict().getByRole('button', { name: 'Keep both' }).click();
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0])).toEqual(['notes (1).txt']);

  await screen.getByTestId('upload-input').upload(new File(['new'], 'notes.txt'));
  await conflict().getByRole('button', { name: 'Skip' }).click();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Skipped 1 that exists.');
  expect(bridge.callsOf('files.write').map((c) => c[0])).toEqual(['notes (1).txt']);

  await screen.getByTestId('upload-input').upload(new File(['new'], 'notes.txt'));
  await conflict().getByRole('button', { name: 'Replace' }).click();
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0])).toEqual(['notes (1).txt', 'notes.txt']);
});

test('a batch asks once with "apply to all": the choice covers every other name that exists; new names just upload', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  await screen.getByTestId('upload-input').upload([new File(['1'], 'notes.txt'), new File(['2'], 'fresh.txt'), new File(['3'], 'todo.txt')]);
  await expect.element(conflict()).toHaveTextContent('“notes.txt” already exists');
  await conflict().getByRole('checkbox', { name: /Do this for the 1 other name/ }).click();
  await conflict().getByRole('button', { name: 'Keep both' }).click();
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0])).toEqual(['notes (1).txt', 'fresh.txt', 'todo (1).txt']);
  await expect.element(conflict()).not.toBeInTheDocument();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded 3 files.');

  // The next batch asks again: "apply to all" lasted for that batch only.
  await screen.getByTestId('upload-input').upload([new File(['1'], 'notes.txt'), new File(['3'], 'todo.txt')]);
  await expect.element(conflict()).toHaveTextContent('“notes.txt” already exists');
  await conflict().getByRole('button', { name: 'Skip' }).click();
  await expect.element(conflict()).toHaveTextContent('“todo.txt” already exists');
  await conflict().getByRole('button', { name: 'Replace' }).click();
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0]).slice(3)).toEqual(['todo.txt']);
});

test('dropped files that exist are asked about too', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  const zone = screen.getByTestId('dropzone').element();
  const dt = new DataTransfer();
  dt.items.add(new File(['x'], 'todo.txt'));
  zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  await expect.element(conflict()).toHaveTextContent('“todo.txt” already exists');
  await conflict().getByRole('button', { name: 'Keep both' }).click();
  await expect.poll(() => bridge.callsOf('files.write').map((c) => c[0])).toEqual(['todo (1).txt']);
});

test('a folder picked with the folder picker keeps its structure: folders made first, files at their paths', async () => {
  const { screen, bridge } = setup();
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await expect.element(screen.getByText('a.jpg')).toBeVisible();
  const input = screen.getByTestId('upload-folder-input').element() as HTMLInputElement;
  expect(input.webkitdirectory).toBe(true);
  const inFolder = (content: string, path: string) => Object.defineProperty(new File([content], path.split('/').at(-1)!), 'webkitRelativePath', { value: path });
  Object.defineProperty(input, 'files', { configurable: true, value: [inFolder('a', 'Trip/day1/a.jpg'), inFolder('b', 'Trip/day2/b.jpg'), inFolder('c', 'Trip/c.txt')] });
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded 3 files.');
  expect(bridge.callsOf('files.mkdir')).toEqual([['photos/Trip'], ['photos/Trip/day1'], ['photos/Trip/day2']]);
  expect(bridge.callsOf('files.write').map((c) => c[0])).toEqual(['photos/Trip/day1/a.jpg', 'photos/Trip/day2/b.jpg', 'photos/Trip/c.txt']);
});

/** A stand-in for a dropped folder (the File and Directory Entries API), answering readEntries in batches. */
function folderEntry(name: string, children: EntryLike[]): EntryLike {
  return {
    name, isFile: false, isDirectory: true,
    createReader() {
      const batches = [children.slice(0, 2), children.slice(2)].filter((b) => b.length > 0);
      return { readEntries: (ok) => ok(batches.shift() ?? []) };
    },
  };
}
const fileEntry = (name: string, content: string): EntryLike => ({ name, isFile: true, isDirectory: false, file: (ok) => ok(new File([content], name)) });

test('a dropped folder is walked: its folders (empty ones too) are made and its files uploaded at their paths', async () => {
  const { screen, bridge } = setup();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  const tree = folderEntry('Album', [fileEntry('1.jpg', 'one'), folderEntry('empty', []), folderEntry('raw', [fileEntry('1.cr2', 'raw')]), fileEntry('2.jpg', 'two')]);
  const drop = Object.assign(new Event('drop', { bubbles: true, cancelable: true }), {
    dataTransfer: { types: ['Files'], files: [], items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }] },
  });
  screen.getByTestId('dropzone').element().dispatchEvent(drop);
  await expect.element(screen.getByRole('status')).toHaveTextContent('Uploaded 3 files.');
  expect(bridge.callsOf('files.mkdir')).toEqual([['Album'], ['Album/empty'], ['Album/raw']]);
  expect(bridge.callsOf('files.write').map((c) => c[0])).toEqual(['Album/1.jpg', 'Album/raw/1.cr2', 'Album/2.jpg']);
  expect(new TextDecoder().decode(bridge.callsOf('files.write')[1]![1] as Uint8Array)).toBe('raw');
});
