// The demo, no root needed: `serve --demo` shows two members; upload a file, browse to it, download it back.
import { expect, test } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifact, publishScreens, serve, type Served } from './serve.ts';

let server: Served;
test.beforeAll(async () => { server = await serve({ demo: true }); });
test.afterAll(async () => { publishScreens(); await server?.stop(); });

test('demo: dashboard with two members, upload, browse, download', async ({ page }) => {
  await page.goto(server.url);
  const cards = page.getByTestId('member-card');
  await expect(cards).toHaveCount(2);
  await expect(cards.filter({ hasText: 'Internal SSD' })).toBeVisible();
  const usb = cards.filter({ hasText: 'USB Backup' });
  await expect(usb.getByText('write-mostly')).toBeVisible();
  await expect(page.getByTestId('health')).toBeVisible();
  await page.screenshot({ path: artifact('demo-dashboard.png') });

  await page.getByRole('button', { name: 'Files', exact: true }).click();
  await expect(page.getByRole('button', { name: 'documents', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'documents', exact: true }).click();
  await expect(page.getByText('README.txt')).toBeVisible();

  const content = `hello from the e2e test at ${new Date().toISOString()}\n`;
  await page.getByTestId('upload-input').setInputFiles({ name: 'e2e-note.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
  await expect(page.getByRole('status')).toHaveText('Uploaded e2e-note.txt.');
  const row = page.getByTestId('file-row').filter({ hasText: 'e2e-note.txt' });
  await expect(row).toBeVisible();

  // Leave and come back through the breadcrumb: the file is listed from the mirror, not from local state.
  await page.getByRole('button', { name: 'All files' }).click();
  await page.getByRole('button', { name: 'documents', exact: true }).click();
  await expect(row).toBeVisible();
  await page.screenshot({ path: artifact('demo-files.png') });

  const downloading = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Download e2e-note.txt' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('e2e-note.txt');
  expect(await readFile(await download.path(), 'utf8')).toBe(content);
});

test('demo: the same UI at a narrow 420px window, in dark mode', async ({ page }) => {
  await page.setViewportSize({ width: 420, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(server.url);
  await expect(page.getByTestId('member-card')).toHaveCount(2);
  // Nothing may overflow sideways at this width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: artifact('demo-narrow-dark.png'), fullPage: true });
});

test('demo: keyboard only — tab to a section, open it, and tab to its actions', async ({ page }) => {
  await page.goto(server.url);
  await expect(page.getByTestId('member-card')).toHaveCount(2);
  const tabTo = async (target: ReturnType<typeof page.getByRole>) => {
    for (let i = 0; i < 12 && !(await target.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    await expect(target).toBeFocused();
  };
  await tabTo(page.getByRole('button', { name: 'Files', exact: true }));
  await page.keyboard.press('Enter');
  const newFolder = page.getByRole('button', { name: 'New folder' });
  await expect(newFolder).toBeVisible();
  await tabTo(newFolder);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New folder' });
  await expect(dialog.getByRole('textbox')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('demo: scrub check compares the copies and reports the result', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Scrub', exact: true }).click();
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  const result = page.getByTestId('scrub-result');
  await expect(result).toContainText('Every copy matches.', { timeout: 60_000 });
  await expect(result).toContainText('Mismatches found0');
  await page.screenshot({ path: artifact('demo-scrub.png') });
});

test('demo: a damaged copy on the USB drive is found by check and healed by repair', async ({ page }) => {
  const usbCopy = join(server.configDir, 'drives', 'USB Backup', 'documents', 'taxes-2024.csv');
  const good = await readFile(usbCopy);
  const bad = Buffer.from(good);
  bad[0] ^= 0xff; // one flipped byte, same size and date: only a checksum can tell (an edit would move the date)
  const { atimeMs, mtimeMs } = await stat(usbCopy);
  await writeFile(usbCopy, bad);
  await utimes(usbCopy, atimeMs / 1000, mtimeMs / 1000);

  await page.goto(server.url);
  await page.getByRole('button', { name: 'Scrub', exact: true }).click();
  const result = page.getByTestId('scrub-result');
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(result).toContainText('1 mismatch found: review them below, then Repair.', { timeout: 60_000 });
  const finding = page.getByTestId('finding');
  await expect(finding).toContainText('documents/taxes-2024.csv');
  await expect(finding).toContainText('USB Backup');
  await expect(finding).toContainText('Damaged');
  await expect(finding).toContainText('Rewrite from a good copy');
  expect(await readFile(usbCopy)).toEqual(bad); // check never writes

  await page.getByRole('button', { name: 'Repair…' }).click();
  const plan = page.getByRole('dialog', { name: 'Repair what the check found?' });
  await expect(plan).toContainText('Rewrite 1 damaged copy from a good one.');
  await plan.getByRole('button', { name: 'Repair', exact: true }).click();
  await expect(result).toContainText('1 copy repaired of 1 mismatch.', { timeout: 60_000 });
  await page.screenshot({ path: artifact('demo-scrub-repair.png') });
  expect(await readFile(usbCopy)).toEqual(good);
});

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

test('demo: a 100 MiB file uploads in chunks with progress and downloads back byte for byte', async ({ page }) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-e2e-big-'));
  try {
    const src = join(dir, 'holiday video.mp4');
    const data = randomBytes(100 * 2 ** 20);
    await writeFile(src, data);
    const want = createHash('sha256').update(data).digest('hex');

    await page.goto(server.url);
    await page.getByRole('button', { name: 'Files', exact: true }).click();
    await page.getByTestId('upload-input').setInputFiles(src);
    await expect(page.getByRole('progressbar', { name: 'Uploading' })).toBeVisible();
    await expect(page.getByRole('status')).toHaveText('Uploaded holiday video.mp4.', { timeout: 120_000 });
    const row = page.getByTestId('file-row').filter({ hasText: 'holiday video.mp4' });
    await expect(row).toContainText('100 MB');

    const downloading = page.waitForEvent('download', { timeout: 120_000 });
    await row.getByRole('button', { name: 'Download holiday video.mp4' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('holiday video.mp4');
    expect(await sha256(await download.path())).toBe(want);
    // And on both drives of the mirror, as plain files (the USB copy once its behind writes landed: compare both).
    for (const drive of ['Internal SSD', 'USB Backup']) {
      await expect.poll(() => sha256(join(server.configDir, 'drives', drive, 'holiday video.mp4')).catch(() => ''), { timeout: 60_000 }).toBe(want);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
