// The place is kept in the address (issue 15, item 4): Back stays in the app, a reload lands in the same folder.
import { afterEach, expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import App from './App.svelte';
import { AppState } from './lib/app-state.svelte.ts';
import { FakeBridge, snapshot } from './testing/fake-bridge.ts';
import type { DirEntry } from '../../core/contract/types.ts';

const tree: Record<string, DirEntry[]> = {
  '': [{ name: 'photos', type: 'dir', size: 0, mtimeMs: 0 }, { name: 'notes.txt', type: 'file', size: 5, mtimeMs: 0 }],
  photos: [{ name: 'beach.jpg', type: 'file', size: 2048, mtimeMs: 0 }],
};

async function start() {
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot(), 'files.list': (p) => tree[p] ?? [] });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { app, screen: render(App, { app }) };
}

const hashChanged = () => new Promise<void>((r) => addEventListener('hashchange', () => r(), { once: true }));
const nav = (screen: Awaited<ReturnType<typeof start>>['screen'], name: string) =>
  screen.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true });

afterEach(() => { history.replaceState(null, '', '#'); });

test('views and folders go into the address; Back goes back within the app', async () => {
  const { screen } = await start();
  await nav(screen, 'Files').click();
  expect(location.hash).toBe('#/files');
  await screen.getByRole('button', { name: 'photos', exact: true }).click();
  await expect.element(screen.getByText('beach.jpg')).toBeVisible();
  expect(location.hash).toBe('#/files/photos');

  const back = hashChanged();
  history.back();
  await back;
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
  expect(location.hash).toBe('#/files');
  await nav(screen, 'Scrub').click();
  expect(location.hash).toBe('#/scrub');
  await nav(screen, 'Files').click();
  await expect.element(screen.getByText('notes.txt')).toBeVisible();
});

test('a reload lands in the view and folder it showed', async () => {
  history.replaceState(null, '', '#/files/photos');
  const { screen } = await start();
  await expect.element(screen.getByText('beach.jpg')).toBeVisible();
  await expect.element(nav(screen, 'Files')).toHaveAttribute('aria-current', 'page');
});
