import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import FallbackBanner from './FallbackBanner.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';

async function started() {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: mirror([{ ...ssd(), state: 'faulty' }, usb({ behindWrites: 6, behindBytes: 3 * 1024 * 1024 })]) }),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { bridge, app };
}

test('while a read waits on a lagging drive, an alert says which drive and what it waits for', async () => {
  const { bridge, app } = await started();
  const screen = render(FallbackBanner, { app });
  await expect.element(page.getByRole('alert')).not.toBeInTheDocument();

  bridge.emit(11, { type: 'read-fallback', memberId: 'usb', path: 'photos/a.jpg', waitingWrites: 6, waitingBytes: 3 * 1024 * 1024 });
  const alert = screen.getByRole('alert');
  await expect.element(alert).toHaveTextContent('Reading from USB Backup');
  await expect.element(alert).toHaveTextContent('6 writes (3 MB)');
  await expect.element(alert).toHaveTextContent('photos/a.jpg');
  await expect.element(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '0');

  bridge.emit(12, { type: 'behind', memberId: 'usb', behindWrites: 3, behindBytes: 1024 });
  await expect.element(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '50');

  bridge.emit(13, { type: 'read-fallback-done', memberId: 'usb', path: 'photos/a.jpg', waitedMs: 840 });
  await expect.element(page.getByRole('alert')).not.toBeInTheDocument();
  await expect.element(screen.getByTestId('fallback-done')).toHaveTextContent('done after 840 ms');

  await screen.getByRole('button', { name: 'Dismiss' }).click();
  await expect.element(screen.getByTestId('fallback-done')).not.toBeInTheDocument();
});

test('the file list and a file read at once from the slow drive make one warning, for the file; the list is named', async () => {
  const { bridge, app } = await started();
  const screen = render(FallbackBanner, { app });
  bridge.emit(11, { type: 'read-fallback', memberId: 'usb', path: '', waitingWrites: 1, waitingBytes: 1024 * 1024 });
  const alert = screen.getByRole('alert');
  // The root folder's path is "": the banner read "Reading  is waiting for 1 write", with an empty code box.
  await expect.element(alert).toHaveTextContent('Reading the list of All files is waiting for 1 write (1 MB)');
  bridge.emit(12, { type: 'read-fallback', memberId: 'usb', path: 'report.bin', waitingWrites: 1, waitingBytes: 1024 * 1024 });
  await expect.element(alert).toHaveTextContent('Reading report.bin is waiting for');
  expect(screen.getByTestId('fallback-banner').elements()).toHaveLength(1);

  bridge.emit(13, { type: 'read-fallback-done', memberId: 'usb', path: 'report.bin', waitedMs: 900 });
  bridge.emit(14, { type: 'read-fallback-done', memberId: 'usb', path: '', waitedMs: 950 });
  await expect.element(screen.getByTestId('fallback-done')).toHaveTextContent('report.bin was read from USB Backup');
  expect(screen.getByTestId('fallback-done').elements()).toHaveLength(1);
});
