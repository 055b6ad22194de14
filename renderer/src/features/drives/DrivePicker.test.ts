import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import DrivePicker from './DrivePicker.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, mirror, snapshot, ssd, usb } from '../../testing/fake-bridge.ts';
import type { DriveInfo, FolderContents, MemberSpec, PlacementIssue } from '../../../../core/contract/types.ts';

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
  screen.getByTestId('drive-row').filter({ hasText: mount }).first();

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
  // Without files to keep there are no placement options: none sent, not even `undefined` (a transport makes it null).
  expect(bridge.callsOf('drives.checkPlacement').every((args) => args.length === 1)).toBe(true);
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

// -- adoption (issue 11, part 1): what the drives hold, whose files the mirror keeps, members in the order picked --
const contents = (path: string, o: Partial<FolderContents> = {}): FolderContents =>
  ({ path, exists: true, files: 0, folders: 0, bytes: 0, complete: true, sample: [], systemNames: [], ...o });

async function setupHoldings(held: Record<string, Partial<FolderContents>>, check: (specs: MemberSpec[], o?: { adoptFrom?: number }) => PlacementIssue[] = () => []) {
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: null, drives }),
    'drives.inspect': (path) => contents(path, held[path] ?? { exists: false }),
    'drives.checkPlacement': (specs, o) => check(specs, o),
    'mirror.create': (o) => mirror([ssd(), usb()], { label: o.label }),
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, checkDelayMs: 0 });
  return { bridge, screen };
}

const photos = { files: 2000, folders: 40, bytes: 1.5 * GB, sample: ['Photos'], systemNames: ['lost+found'] };

test('each drive shows what it holds; the folder defaults to where the data is; the plan says whose files are kept', async () => {
  const { screen, bridge } = await setupHoldings({ '/mnt/ssd': photos, '/media/usb': { systemNames: ['lost+found', '.Trashes'] } });
  await expect.element(rowOf(screen, '/mnt/ssd').getByTestId('drive-holds')).toHaveTextContent('This drive holds 2,000 files in 40 folders · 1.5 GB.');
  await expect.element(rowOf(screen, '/media/usb').getByTestId('drive-holds')).toHaveTextContent('This drive holds no files.');
  await expect.element(rowOf(screen, '/media/usb').getByTestId('drive-system')).toHaveTextContent(/lost\+found, \.Trashes are the system's own.*never copied/);
  expect(bridge.callsOf('drives.inspect').map(([p]) => p)).not.toContain('/'); // never the whole system drive
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  const folders = screen.getByRole('textbox', { name: 'Folder on this drive' });
  await expect.element(folders.nth(0)).toHaveValue('/mnt/ssd');
  await expect.element(rowOf(screen, '/mnt/ssd').getByTestId('folder-holds')).toHaveTextContent("The drive's root");
  await expect.element(folders.nth(1)).toHaveValue('/media/usb/NAS Mirror');
  await expect.element(rowOf(screen, '/media/usb').getByTestId('folder-holds')).toHaveTextContent('does not exist yet');
  await expect.element(screen.getByTestId('adoption-plan')).toHaveTextContent('Keep the files on Data SSD (2,000 files in 40 folders · 1.5 GB); copy them to USB Backup.');
  await screen.getByRole('button', { name: 'Create mirror' }).click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  const [o] = bridge.callsOf('mirror.create')[0] as [{ members: MemberSpec[]; adoptFrom?: number }];
  expect(o.members.map((m) => m.path)).toEqual(['/mnt/ssd', '/media/usb/NAS Mirror']);
  expect(o.adoptFrom).toBe(0);
  expect(bridge.callsOf('drives.checkPlacement').at(-1)![1]).toEqual({ adoptFrom: 0 });
});

test('members are in the order the drives were picked, whatever order they are listed in', async () => {
  const { screen, bridge } = await setupHoldings({ '/mnt/ssd': photos, '/media/usb': {} });
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await expect.element(rowOf(screen, '/media/usb').getByText('member 1')).toBeVisible();
  await expect.element(rowOf(screen, '/mnt/ssd').getByText('member 2')).toBeVisible();
  await expect.element(screen.getByTestId('adoption-plan')).toHaveTextContent('Keep the files on Data SSD');
  await screen.getByRole('button', { name: 'Create mirror' }).click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  const [o] = bridge.callsOf('mirror.create')[0] as [{ members: MemberSpec[]; adoptFrom?: number }];
  expect(o.members.map((m) => m.label)).toEqual(['USB Backup', 'Data SSD']);
  expect(o.adoptFrom).toBe(1);
});

test('two drives holding files: said plainly, the user chooses whose to keep, the other gets a new empty folder', async () => {
  const held = { '/mnt/ssd': photos, '/media/usb': { files: 12, folders: 1, bytes: 3 * 1024 ** 2, sample: ['Old stuff'] } };
  const { screen, bridge } = await setupHoldings(held, (specs, o) => specs
    .filter((s, i) => o?.adoptFrom !== undefined && i !== o.adoptFrom && s.path === '/media/usb')
    .map((s) => ({ memberPath: s.path, severity: 'error', code: 'NOT_EMPTY', message: 'The folder must be empty.' })));
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  const create = screen.getByRole('button', { name: 'Create mirror' });
  await expect.element(screen.getByTestId('adoption-conflict')).toHaveTextContent(/Data SSD and USB Backup both hold files.*never merged or overwritten/);
  await expect.element(screen.getByTestId('blocker')).toHaveTextContent("Choose which drive's files the mirror keeps.");
  await expect.element(create).toBeDisabled();

  await screen.getByRole('radio', { name: /Keep the files on Data SSD/ }).click();
  await expect.element(screen.getByTestId('adoption-plan')).toHaveTextContent('Keep the files on Data SSD');
  await expect.element(screen.getByTestId('other-files')).toHaveTextContent(/USB Backup holds 12 files in 1 folder · 3 MB of its own.*stay where they are, untouched/);
  await expect.element(screen.getByText('The folder must be empty.')).toBeVisible();
  await expect.element(create).toBeDisabled();

  await screen.getByRole('button', { name: 'Use a new folder "NAS Mirror" on USB Backup' }).click();
  await expect.element(screen.getByRole('textbox', { name: 'Folder on this drive' }).nth(1)).toHaveValue('/media/usb/NAS Mirror');
  await expect.element(screen.getByTestId('other-files')).not.toBeInTheDocument();
  await expect.element(screen.getByTestId('outside-files')).toHaveTextContent('The files already on USB Backup (12 files in 1 folder · 3 MB) are outside its chosen folder: they stay where they are');
  await expect.element(create).toBeEnabled();
  await create.click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  const [o] = bridge.callsOf('mirror.create')[0] as [{ members: MemberSpec[]; adoptFrom?: number }];
  expect(o.members.map((m) => m.path)).toEqual(['/mnt/ssd', '/media/usb/NAS Mirror']);
  expect(o.adoptFrom).toBe(0);
});

test('keeping the other drive\'s files instead starts the mirror from them', async () => {
  const held = { '/mnt/ssd': photos, '/media/usb': { files: 12, folders: 1, bytes: 3 * 1024 ** 2 } };
  const { screen, bridge } = await setupHoldings(held);
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  await screen.getByRole('radio', { name: /Keep the files on USB Backup/ }).click();
  await expect.element(screen.getByTestId('adoption-plan')).toHaveTextContent('Keep the files on USB Backup (12 files in 1 folder · 3 MB); copy them to Data SSD.');
  await screen.getByRole('button', { name: 'Use a new folder "NAS Mirror" on Data SSD' }).click();
  await screen.getByRole('button', { name: 'Create mirror' }).click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  const [o] = bridge.callsOf('mirror.create')[0] as [{ members: MemberSpec[]; adoptFrom?: number }];
  expect(o.members.map((m) => m.path)).toEqual(['/mnt/ssd/NAS Mirror', '/media/usb']);
  expect(o.adoptFrom).toBe(1);
});

test('with every picked drive write-mostly there is no fast drive: the picker says so and Create needs a confirmation', async () => {
  const usb2 = drive({ mountPoint: '/media/usb2', label: 'Loop Disk', device: '/dev/loop0', rotational: true });
  const { screen, bridge } = await setup(undefined, [usb2]);
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  await screen.getByRole('checkbox', { name: /Loop Disk/ }).click();
  const create = screen.getByRole('button', { name: 'Create mirror' });
  const noFast = screen.getByTestId('no-fast');
  await expect.element(noFast).toHaveTextContent('No fast drive.');
  await expect.element(screen.getByTestId('blocker')).toHaveTextContent('Untick Write-mostly on your fastest drive');
  await expect.element(create).toBeDisabled();

  await noFast.getByRole('checkbox', { name: 'Every drive is slow: use them all as write-mostly' }).click();
  await expect.element(create).toBeEnabled();
  await create.click();
  await expect.poll(() => bridge.callsOf('mirror.create').length).toBe(1);
  expect((bridge.callsOf('mirror.create')[0]![0] as { members: MemberSpec[] }).members.map((m) => m.writeMostly)).toEqual([true, true]);
});

test('unticking write-mostly on one drive leaves a fast drive: no warning, no confirmation', async () => {
  const usb2 = drive({ mountPoint: '/media/usb2', label: 'Loop Disk', device: '/dev/loop0', rotational: true });
  const { screen } = await setup(undefined, [usb2]);
  await screen.getByRole('checkbox', { name: /USB Backup/ }).click();
  await screen.getByRole('checkbox', { name: /Loop Disk/ }).click();
  await expect.element(screen.getByTestId('no-fast')).toBeVisible();
  await rowOf(screen, '/media/usb2').getByRole('checkbox', { name: /^Write-mostly/ }).click();
  await expect.element(screen.getByTestId('no-fast')).not.toBeInTheDocument();
  await expect.element(screen.getByRole('button', { name: 'Create mirror' })).toBeEnabled();
});

test('the "Testing" tools (a simulated slow drive) are hidden outside the demo', async () => {
  const { screen } = await setup();
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await expect.element(rowOf(screen, '/mnt/ssd').getByRole('checkbox', { name: /^Write-mostly/ })).toBeVisible();
  await expect.element(screen.getByText('Testing')).not.toBeInTheDocument();
});

test('the "Testing" tools are there in the demo', async () => {
  const bridge = new FakeBridge({ 'app.snapshot': () => snapshot({ mirror: null, drives, demo: true }), 'drives.checkPlacement': () => [] });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, checkDelayMs: 0 });
  await screen.getByRole('checkbox', { name: /Data SSD/ }).click();
  await screen.getByText('Testing').click();
  await expect.element(screen.getByRole('checkbox', { name: 'Simulate a slow drive' })).toBeVisible();
});

test('adding to the open mirror: it is not offered to assemble, and the drives holding its members say so', async () => {
  const open = mirror([ssd({ path: '/mnt/ssd/NAS Mirror' }), usb({ path: '/media/usb' })]);
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ mirror: open, drives, knownMirrors: [{ id: open.id, label: 'Home', members: [{ path: '/mnt/ssd/NAS Mirror' }, { path: '/media/usb' }] }] }),
    'drives.checkPlacement': () => [],
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  const screen = render(DrivePicker, { app, adding: true, checkDelayMs: 0 });
  await expect.element(screen.getByText('Data SSD')).toBeVisible();
  await expect.element(screen.getByRole('button', { name: 'Assemble' })).not.toBeInTheDocument();
  await expect.element(rowOf(screen, '/mnt/ssd').getByText('in this mirror: Internal SSD')).toBeVisible();
  await expect.element(rowOf(screen, '/media/usb').getByText('in this mirror: USB Backup')).toBeVisible();
  await expect.element(rowOf(screen, '/').getByText(/in this mirror/)).not.toBeInTheDocument();
});
