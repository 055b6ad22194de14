// Mirror a drive that is already full of files, from the UI (issue 11, part 1), on real loop-mounted ext4 drives and
// the real `serve`: "Photos Disk" holds 2,000 files in folders at its root, "USB Backup" holds a folder of its own.
// The picker shows what each holds, says both hold files, the user keeps Photos Disk's and gives USB Backup a new
// folder; afterwards every file is on both, the system names are where they were and were not copied, and nothing
// outside the chosen folders changed. Needs root and loop devices; skips with the reason otherwise.
import { expect, test, type Page } from '@playwright/test';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loopLab, loopUnsupported, type LoopDrive } from '../helpers/loop.ts';
import { snapshot } from '../helpers/engine.ts';
import { artifact, serve, specLifecycle } from './serve.ts';

const FILES = 2000;
const ALBUMS = 25;

const spec = specLifecycle();

/** Everything under `dir` as path → content (links as their target), never following a link; `skip` names at the top. */
const tree = snapshot;

const row = (page: Page, d: LoopDrive) => page.locator(`[data-testid="drive-row"][data-mount="${d.mountPoint}"]`);

test(`a drive holding ${FILES} files becomes a mirror from the UI: every file on both, nothing else touched`, async ({ page }) => {
  const unsupported = await loopUnsupported();
  test.skip(unsupported !== null, `${unsupported}: run as root with loop devices to mirror a drive full of files`);
  test.setTimeout(300_000);

  const lab = await loopLab({ after: (fn) => { spec.afters.push(fn); } });
  const photos = await lab.mountExt4Image('Photos Disk', { sizeMiB: 128, label: 'PHOTOS' });
  const usb = await lab.mountExt4Image('USB Backup', { sizeMiB: 128, label: 'USBBACKUP' });
  for (let a = 0; a < ALBUMS; a++) {
    const album = join(photos.mountPoint, `${2000 + (a % 5)}`, `album ${a}`);
    await mkdir(album, { recursive: true });
    for (let i = 0; i < FILES / ALBUMS; i++) await writeFile(join(album, `IMG_${a}_${i}.jpg`), `photo ${a}/${i} `.repeat(1 + (i % 40)));
    await writeFile(join(album, '.DS_Store'), `finder view of album ${a}`);
  }
  await writeFile(join(photos.mountPoint, 'Thumbs.db'), 'explorer cache');
  await mkdir(join(usb.mountPoint, 'Old stuff'));
  await writeFile(join(usb.mountPoint, 'Old stuff', 'notes.txt'), 'mine, not the mirror\'s');
  const photosBefore = await tree(photos.mountPoint);
  const usbBefore = await tree(usb.mountPoint);

  const server = spec.server = await serve();
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Choose the drives to mirror' })).toBeVisible();
  for (const d of [photos, usb]) await expect(row(page, d)).toBeVisible({ timeout: 15_000 });

  await test.step('the picker shows what each drive holds and where the data is', async () => {
    await expect(row(page, photos).getByTestId('drive-holds')).toHaveText(`This drive holds ${FILES.toLocaleString('en-US')} files in ${ALBUMS + 5} folders · 463 KB.`);
    await expect(row(page, photos).getByTestId('drive-system')).toContainText('lost+found');
    await expect(row(page, usb).getByTestId('drive-holds')).toHaveText('This drive holds 1 file in 1 folder · 22 B.');
    await row(page, photos).getByRole('checkbox').first().check();
    await row(page, photos).getByRole('textbox', { name: 'Name' }).fill('Photos Disk');
    // Loop drives report as rotational, so both are suggested write-mostly; Photos Disk is the fast one here.
    await row(page, photos).getByRole('checkbox', { name: /^Write-mostly/ }).uncheck();
    await expect(row(page, photos).getByRole('textbox', { name: 'Folder on this drive' })).toHaveValue(photos.mountPoint);
    await row(page, usb).getByRole('checkbox').first().check();
    await row(page, usb).getByRole('textbox', { name: 'Name' }).fill('USB Backup');
    await expect(row(page, usb).getByRole('textbox', { name: 'Folder on this drive' })).toHaveValue(usb.mountPoint);
  });

  await test.step('both hold files: the UI says so; keep Photos Disk\'s, give USB Backup a new folder', async () => {
    await expect(page.getByTestId('adoption-conflict')).toContainText('Photos Disk and USB Backup both hold files');
    const create = page.getByRole('button', { name: 'Create mirror' });
    await expect(create).toBeDisabled();
    await page.screenshot({ path: artifact('10-adopt-choose.png'), fullPage: true });
    await page.getByRole('radio', { name: /Keep the files on Photos Disk/ }).check();
    await expect(page.getByTestId('other-files')).toContainText('stay where they are, untouched');
    await page.getByRole('button', { name: 'Use a new folder "NAS Mirror" on USB Backup' }).click();
    await expect(row(page, usb).getByRole('textbox', { name: 'Folder on this drive' })).toHaveValue(join(usb.mountPoint, 'NAS Mirror'));
    await expect(page.getByTestId('adoption-plan')).toContainText('Keep the files on Photos Disk');
    await expect(page.getByTestId('adoption-plan')).toContainText('copy them to USB Backup');
    await expect(page.getByTestId('outside-files')).toContainText('The files already on USB Backup (1 file in 1 folder · 22 B) are outside its chosen folder');
    await expect(page.getByText('Checking the placement…')).toHaveCount(0);
    const confirm = page.getByRole('checkbox', { name: /I understand the/ });
    if (await confirm.isVisible()) await confirm.check();
    await expect(create).toBeEnabled();
    await expect(page.getByText(/Could not check the placement/)).toHaveCount(0);
    await page.screenshot({ path: artifact('11-adopt-plan.png'), fullPage: true });
    await create.click();
  });

  await test.step('the files are copied to USB Backup, with progress, until both are in sync', async () => {
    const cards = page.getByTestId('member-card');
    await expect(cards).toHaveCount(2, { timeout: 30_000 });
    for (const label of ['Photos Disk', 'USB Backup']) {
      await expect(cards.filter({ hasText: label })).toHaveAttribute('data-state', 'in_sync', { timeout: 120_000 });
    }
  });

  const copy = join(usb.mountPoint, 'NAS Mirror');
  const userFiles = (m: Map<string, string>) => new Map([...m].filter(([p]) => !/(^|\/)(\.DS_Store|Thumbs\.db)$/.test(p)));
  const onPhotos = userFiles(await tree(photos.mountPoint, ['.nas-mirror', 'lost+found']));
  const onUsb = await tree(copy, ['.nas-mirror']);
  expect([...onPhotos.keys()].filter((p) => !p.endsWith('/'))).toHaveLength(FILES);
  expect(onUsb).toEqual(onPhotos); // every file on both; no system name was copied
  // Nothing outside the chosen folders changed: Photos Disk's files (its root is the folder) and system entries are as
  // they were, and USB Backup's own folder and lost+found are untouched.
  expect(await tree(photos.mountPoint, ['.nas-mirror'])).toEqual(photosBefore);
  expect(await tree(usb.mountPoint, ['NAS Mirror'])).toEqual(usbBefore);
  await page.screenshot({ path: artifact('12-adopt-done.png'), fullPage: true });
});
