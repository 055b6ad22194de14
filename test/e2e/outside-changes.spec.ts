// Files changed behind the app's back, as a user makes them with a file manager on the demo's folder drives
// (issue 11, part 2): a file copied onto the fast drive is mirrored; an edit on the backup drive is a conflict the
// user resolves in the Conflicts view, and "keep both" leaves each version on every drive.
import { expect, test } from '@playwright/test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifact, serve, type Served } from './serve.ts';

let server: Served;
test.beforeAll(async () => { server = await serve({ demo: true }); });
test.afterAll(async () => { await server?.stop(); });

const drive = (name: string, ...path: string[]) => join(server.configDir, 'drives', name, ...path);

test('a file copied straight onto the fast drive reaches the backup drive and shows in the activity', async ({ page }) => {
  await page.goto(server.url);
  await expect(page.getByTestId('member-card')).toHaveCount(2);
  await writeFile(drive('Internal SSD', 'documents', 'copied-in.txt'), 'dropped in with a file manager\n');
  await expect.poll(() => readFile(drive('USB Backup', 'documents', 'copied-in.txt'), 'utf8').catch(() => null), { timeout: 30_000 })
    .toBe('dropped in with a file manager\n');
  await expect(page.getByText('documents/copied-in.txt added directly on Internal SSD: mirrored to the other drives')).toBeVisible();
});

test('an edit on the backup drive is a conflict: shown with both versions, and "keep both" keeps each', async ({ page }) => {
  await page.goto(server.url);
  const usbCopy = drive('USB Backup', 'documents', 'notes', 'shopping.md');
  const mirrors = await readFile(drive('Internal SSD', 'documents', 'notes', 'shopping.md'), 'utf8');
  await writeFile(usbCopy, '# Shopping\n\n- coffee\n- edited on the backup drive itself\n');
  await expect(page.getByTestId('badge').filter({ hasText: 'Needs attention' })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: /^Conflicts/ }).click();
  const conflict = page.getByRole('article', { name: 'documents/notes/shopping.md' });
  await expect(conflict).toContainText('a write-mostly (backup) drive');
  await expect(conflict.getByTestId('version').filter({ hasText: 'Internal SSD' })).toContainText("Mirror's version");
  await expect(conflict.getByTestId('version').filter({ hasText: 'USB Backup' })).toContainText('Changed on the drive');
  await page.screenshot({ path: artifact('demo-conflict.png') });
  await conflict.getByRole('button', { name: 'Keep both' }).click();
  await expect(page.getByTestId('no-conflicts')).toBeVisible({ timeout: 30_000 });
  const day = new Date().toISOString().slice(0, 10);
  for (const name of ['Internal SSD', 'USB Backup']) {
    await expect.poll(() => readFile(drive(name, 'documents', 'notes', 'shopping.md'), 'utf8'), { timeout: 30_000 }).toBe(mirrors);
    await expect.poll(() => readFile(drive(name, 'documents', 'notes', `shopping (USB Backup ${day}).md`), 'utf8').catch(() => null), { timeout: 30_000 })
      .toBe('# Shopping\n\n- coffee\n- edited on the backup drive itself\n');
  }
  await expect(page.getByTestId('badge').filter({ hasText: 'Needs attention' })).toBeHidden();
});
