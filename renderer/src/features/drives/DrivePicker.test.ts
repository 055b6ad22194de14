import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import DrivePicker from './DrivePicker.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';
import type { DriveInfo, MemberSpec, PlacementIssue } from '../../../../core/api/types.ts';

const GB = 1024 ** 3;
const drive = (over: Partial<DriveInfo> & { mountPoint: string }): DriveInfo => ({
  device: '/dev/sdx1', filesystem: 'ext4', sizeBytes: 500 * GB, freeBytes: 200 * GB, removable: false, rotational: false,
  readOnly: false, system: false, ...over,
});
const drives = [
  drive({ mountPoint: '/', label: 'System', device: '/dev/nvme0n1p2', system: true }),
  drive({ mountPoint: '/mnt/ssd', label: 'Data SSD', device: '/dev/nvme1n1p1' }),
  drive({ mountPoint: '/media/usb', label: 'USB Backup', device: '/dev/sdb1', removable: true, rotational: true, filesystem: 'exfat' }),
];

async function setup(check: (specs: MemberSpec[]) => PlacementIssue[] = () => [], extra: DriveInfo[] = []) {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: null, drives: [...drives, ...extra] }),
    'drives.checkPlacement': (specs) => check(specs),
    'mirror.create': (o) => mirror([ssd(), usb()], { label: o.label }),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, checkDelayMs: 0 });
  return { bridge, app, screen };
}

const rowOf = (screen: ReturnType<typeof render>, mount: string) =>
  screen.getByTestId('drive-row').filter({ has: screen.getByText(mount, { exact: false }) }).first();

test('lists drives with their facts and badges, and warns about the system drive', async () => {
  const { screen } = await setup();
  await expect.element(screen.getByText('Data SSD')).toBeVisible();
  await expect.element(screen.getByText('USB / removable')).toBeVisible();
  await expect.element(screen.getByText('rotational')).toBeVisible();
  await expect.element(screen.getByText('exfat')).toBeVisible();
  await expect.element(screen.getByText(/This is the system drive/)).toBeVisible();
  await expect.element(screen.getByText('200 GB free of 500 GB').first()).toBeVisible();
});

test('a drive that does not answer is shown as not responding, without sizes, and cannot be picked', async () => {
  const hung = drive({ mountPoint: '/mnt/nas share', label: 'Old NAS', device: 'nas:/export', filesystem: 'nfs4', sizeBytes: 0, freeBytes: 0, notResponding: true });
  const { screen } = await setup(undefined, [hung]);
  await expect.element(screen.getByText('not responding')).toBeVisible();
  await expect.element(screen.getByText('size unknown')).toBeVisible();
  await expect.element(screen.getByText(/This drive did not answer/)).toBeVisible();
  await expect.element(screen.getByRole('checkbox', { name: /Old NAS/ })).toBeDisabled();
  await expect.element(screen.getByRole('checkbox', { name: /Data SSD/ })).toBeEnabled();
});

test('create stays disabled until two drives are picked; USB is suggested write-mostly; specs go to mirror.create', async () => {
  const { screen, bridge } = await setup();
  const create = screen.getByRole('button', { name: 'Create mirror' });
  await expect.element(create).toBeDisabled();

  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await expect.element(create).toBeDisabled();
  await expect.element(screen.getByTestId('blocker')).toHaveTextContent('Pick at least two drives.');
  await expect.element(screen.getByRole('checkbox', { name: /^Write-mostly/ })).not.toBeChecked();

  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  const wm = screen.getByRole('checkbox', { name: /^Write-mostly/ });
  await expect.element(wm.nth(1)).toBeChecked();
  await expect.element(screen.getByText(/suggested for this drive/)).toBeVisible();
  await expect.element(screen.getByRole('textbox', { name: 'Folder on this drive' }).nth(1)).toHaveValue('/media/usb/NAS Mirror');
  await expect.element(screen.getByRole('button', { name: 'Browse…' })).not.toBeInTheDocument();
  await expect.element(create).toBeEnabled();

  await create.click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  const [o] = bridge.callsOf('mirror.create')[0] as [{ members: MemberSpec[]; maxBehindWrites: number }];
  expect(o.members).toEqual([
    { path: '/mnt/ssd/NAS Mirror', writeMostly: false, label: 'Data SSD' },
    { path: '/media/usb/NAS Mirror', writeMostly: true, label: 'USB Backup' },
  ]);
  expect(o.maxBehindWrites).toBe(256);
});

test('placement errors show inline and block; warnings need an explicit confirmation', async () => {
  let issues: PlacementIssue[] = [{ memberPath: '/media/usb/NAS Mirror', severity: 'error', code: 'EREADONLY', message: 'The drive is read-only.' }];
  const { screen } = await setup(() => issues);
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  const create = screen.getByRole('button', { name: 'Create mirror' });
  await expect.element(screen.getByText('The drive is read-only.')).toBeVisible();
  await expect.element(create).toBeDisabled();

  // The user edits the folder: the placement is checked again and now only warns.
  issues = [{ memberPath: '/media/usb/Backup', severity: 'warning', code: 'ESAMEDRIVE', message: 'Two members share one drive.' }];
  const folder = screen.getByRole('textbox', { name: 'Folder on this drive' }).nth(1);
  await folder.fill('/media/usb/Backup');
  await expect.element(screen.getByText('Two members share one drive.')).toBeVisible();
  await expect.element(create).toBeDisabled();
  await screen.getByRole('checkbox', { name: /I understand the warning/ }).click();
  await expect.element(create).toBeEnabled();
});

test('Browse… appears only when the bridge has a folder picker', async () => {
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ mirror: null, drives }), 'drives.checkPlacement': () => [] });
  bridge.pickFolder = async () => '/mnt/ssd/Elsewhere';
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, checkDelayMs: 0 });
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByRole('button', { name: 'Browse…' }).click();
  await expect.element(screen.getByRole('textbox', { name: 'Folder on this drive' })).toHaveValue('/mnt/ssd/Elsewhere');
});

test('a mirror used before can be assembled again in one click', async () => {
  const members = [{ path: '/mnt/ssd/NAS Mirror', label: 'Data SSD' }, { path: '/media/usb/NAS Mirror', label: 'USB Backup', writeMostly: true }];
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: null, drives, knownMirrors: [{ id: 'm1', label: 'Photos', members }] }),
    'mirror.assemble': () => mirror([ssd(), usb()]),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, checkDelayMs: 0 });
  await expect.element(screen.getByText('Data SSD · USB Backup')).toBeVisible();
  await screen.getByRole('button', { name: 'Assemble', exact: true }).click();
  await expect.poll(() => bridge.callsOf('mirror.assemble')).toEqual([[{ members }]]);
  expect(app.mirror).not.toBeNull();
});
