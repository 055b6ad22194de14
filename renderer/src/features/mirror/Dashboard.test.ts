import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import Dashboard from './Dashboard.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';

async function setup(native: boolean) {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ native, settings: { notifications: true }, mirror: mirror([ssd(), usb({ state: 'behind', behindWrites: 3, behindBytes: 3000 })]) }),
    'mirror.stop': () => {},
    'settings.update': (s) => ({ notifications: s.notifications ?? true }),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(Dashboard, { app, mirror: app.mirror! });
  return { bridge, app, screen };
}

test('health at a glance and one card per member', async () => {
  const { screen } = await setup(false);
  await expect.element(screen.getByTestId('health')).toHaveTextContent('Both drives attached; 3 writes (2.9 KB) on the way to USB Backup.');
  await expect.element(screen.getByTestId('health')).toHaveTextContent('2 drives (1 write-mostly)');
  expect(screen.getByTestId('member-card').elements()).toHaveLength(2);
  await expect.element(screen.getByRole('checkbox', { name: 'Desktop notifications' })).not.toBeInTheDocument();
});

test('stop asks first, says what it flushes, then calls mirror.stop', async () => {
  const { screen, bridge, app } = await setup(false);
  await screen.getByRole('button', { name: 'Stop mirror…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Stop Home?' });
  await expect.element(dialog).toHaveTextContent('(3 writes now)');
  expect(bridge.callsOf('mirror.stop')).toEqual([]);
  await dialog.getByRole('button', { name: 'Stop mirror' }).click();
  await expect.poll(() => bridge.callsOf('mirror.stop')).toEqual([[]]);
  expect(app.mirror).toBeNull();
});

test('in the desktop app, notifications can be switched off', async () => {
  const { screen, bridge } = await setup(true);
  const toggle = screen.getByRole('checkbox', { name: 'Desktop notifications' });
  await expect.element(toggle).toBeChecked();
  await toggle.click();
  await expect.poll(() => bridge.callsOf('settings.update')).toEqual([[{ notifications: false }]]);
  await expect.element(toggle).not.toBeChecked();
});

test('the mirror state is said in plain words, with what it means; no md jargon ("clean", "active")', async () => {
  const { screen } = await setup(false);
  const state = screen.getByTestId('mirror-state');
  // The engine stays "active" from its first write until it stops: the word must be true at rest too, not "Writing".
  await expect.element(state).toHaveTextContent('In use');
  await expect.element(state).not.toHaveTextContent(/Writing|being written/);
  await expect.element(state).toHaveAttribute('title', 'Open for changes: the drives are marked "all written" again when the mirror stops, so a crash or power cut is noticed.');
  await expect.element(screen.getByTestId('health')).not.toHaveTextContent(/\bactive\b|\bclean\b/);
});

test('each Eject button names its drive', async () => {
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ mirror: mirror([ssd(), usb(), usb({ id: 'usb2', label: 'Photos Disk' })]) }) });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(Dashboard, { app, mirror: app.mirror! });
  for (const label of ['Internal SSD', 'USB Backup', 'Photos Disk']) {
    await expect.element(screen.getByRole('button', { name: `Eject ${label}…`, exact: true })).toBeVisible();
  }
  expect(screen.getByRole('button', { name: 'Eject…', exact: true }).elements()).toHaveLength(0);
});

const GiB = 1024 ** 3;
async function withSpace(usedSsd: number, usedUsb: number) {
  const drives = [
    { mountPoint: '/mnt/ssd', device: 'a', filesystem: 'ext4', sizeBytes: 500 * GiB, freeBytes: (1 - usedSsd) * 500 * GiB, removable: false, readOnly: false, system: false },
    { mountPoint: '/mnt/usb', device: 'b', filesystem: 'exfat', sizeBytes: 100 * GiB, freeBytes: (1 - usedUsb) * 100 * GiB, removable: true, readOnly: false, system: false },
  ];
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ drives, mirror: mirror([ssd(), usb()]) }) });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { bridge, app, screen: render(Dashboard, { app, mirror: app.mirror! }) };
}

test('each drive\'s free space is on its card; no capacity warning below 90 %', async () => {
  const { screen } = await withSpace(0.2, 0.5);
  const cards = screen.getByTestId('member-card');
  await expect.element(cards.nth(0).getByTestId('space')).toHaveTextContent('400 GB free of 500 GB (20 % used)');
  await expect.element(cards.nth(1).getByTestId('space')).toHaveTextContent('50 GB free of 100 GB (50 % used)');
  await expect.element(screen.getByTestId('capacity')).not.toBeInTheDocument();
});

test('the dashboard warns at 90 % of the smallest drive, louder at 95 %, as the free space changes', async () => {
  const { bridge, app, screen } = await withSpace(0.2, 0.91);
  const banner = screen.getByTestId('capacity');
  await expect.element(banner).toHaveTextContent('The mirror is filling up');
  await expect.element(banner).toHaveTextContent('USB Backup is 91 % full (9 GB free)');
  const drives = app.drives.map((d) => (d.mountPoint === '/mnt/usb' ? { ...d, freeBytes: 3 * GiB } : d));
  bridge.emit(11, { type: 'drives-changed', drives });
  await expect.element(banner).toHaveTextContent('The mirror is almost full');
  await expect.element(banner).toHaveTextContent('USB Backup is 97 % full (3 GB free)');
  await expect.element(banner).toHaveAttribute('role', 'alert');
});
