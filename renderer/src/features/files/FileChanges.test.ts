// The file view follows changes made elsewhere (issue 15, item 6): a second tab's listing drops a renamed file.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import FileBrowser from './FileBrowser.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, FakeError, snapshot } from '../../testing/fake-bridge.ts';
import type { DirEntry } from '../../../../core/contract/types.ts';

const file = (name: string): DirEntry => ({ name, type: 'file', size: 5, mtimeMs: 0 });
const dir = (name: string): DirEntry => ({ name, type: 'dir', size: 0, mtimeMs: 0 });

async function setup(tree: Record<string, DirEntry[]>, seq = { now: 10 }) {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ seq: seq.now }),
    'files.list': (p) => {
      const list = tree[p];
      if (!list) throw new FakeError({ code: 'ENOTFOUND', message: `"${p}" does not exist.`, path: p });
      return list;
    },
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(FileBrowser, { client: app.client, changes: (l: (paths: string[]) => void) => app.onFilesChanged(l) });
  return { bridge, screen };
}

test('a file renamed by another client leaves this listing, and its new name appears', async () => {
  const tree = { '': [file('notes.txt'), file('other.txt')] };
  const { bridge, screen } = await setup(tree);
  await expect.element(screen.getByText('notes.txt')).toBeVisible();

  tree[''] = [file('todo.txt'), file('other.txt')]; // renamed in another tab
  bridge.emit(11, { type: 'files-changed', paths: ['notes.txt', 'todo.txt'] });
  await expect.element(screen.getByText('todo.txt')).toBeVisible();
  await expect.element(screen.getByText('notes.txt')).not.toBeInTheDocument();
});

test('changes in other folders do not cost a listing; a missed event (gap) refreshes anyway', async () => {
  const tree = { '': [file('a.txt')], photos: [file('b.jpg')] };
  const seq = { now: 10 };
  const { bridge, screen } = await setup(tree, seq);
  await expect.element(screen.getByText('a.txt')).toBeVisible();
  const lists = () => bridge.callsOf('files.list').length;
  const before = lists();
  bridge.emit(11, { type: 'files-changed', paths: ['photos/c.jpg'] });
  tree[''] = [file('a.txt'), file('new.txt')];
  seq.now = 13; // what the core's snapshot is current as of, when fetched again
  bridge.emit(13, { type: 'files-changed', paths: ['new.txt'] }); // seq 12 was missed: the snapshot is fetched again
  await expect.element(screen.getByText('new.txt')).toBeVisible();
  expect(lists() - before).toBe(1); // the gap's refresh only: photos/c.jpg asked for none
});

test('the folder shown was renamed elsewhere: the view goes up to where it was and says so', async () => {
  const tree: Record<string, DirEntry[]> = { '': [dir('photos')], photos: [file('beach.jpg')] };
  const { bridge, screen } = await setup(tree);
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await expect.element(screen.getByText('beach.jpg')).toBeVisible();

  delete tree.photos;
  tree[''] = [dir('pictures')];
  tree.pictures = [file('beach.jpg')];
  bridge.emit(11, { type: 'files-changed', paths: ['photos', 'pictures'] });
  await expect.element(screen.getByRole('button', { name: 'pictures', exact: true })).toBeVisible();
  await expect.element(screen.getByRole('status')).toHaveTextContent('The folder photos was renamed or deleted elsewhere.');
  await expect.element(screen.getByRole('alert')).not.toBeInTheDocument();
});
