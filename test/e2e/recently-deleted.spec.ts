// Recently deleted and no silent overwrite, end to end on `serve --demo` (issue 11 parts 3 and 4): upload a file, try
// to upload it again (asked), delete it, find it in Recently deleted, restore it, and read it back.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { artifact, serve, type Served } from './serve.ts';

let server: Served;
test.beforeAll(async () => { server = await serve({ demo: true }); });
test.afterAll(async () => { await server?.stop(); });

test('delete a file, find it in Recently deleted, restore it', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Files', exact: true }).click();
  await page.getByRole('button', { name: 'documents', exact: true }).click();
  await expect(page.getByText('README.txt')).toBeVisible();

  const content = `kept safe ${Date.now()}\n`;
  await page.getByTestId('upload-input').setInputFiles({ name: 'precious.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
  await expect(page.getByRole('status')).toHaveText('Uploaded precious.txt.');
  const row = page.getByTestId('file-row').filter({ hasText: 'precious.txt' });

  // The same name again: asked first; Skip leaves the file as it is.
  await page.getByTestId('upload-input').setInputFiles({ name: 'precious.txt', mimeType: 'text/plain', buffer: Buffer.from('overwritten!') });
  const conflict = page.getByRole('dialog', { name: '“precious.txt” already exists' });
  await expect(conflict).toBeVisible();
  await conflict.getByRole('button', { name: 'Skip' }).click();
  await expect(page.getByRole('status')).toHaveText('Skipped 1 that exists.');

  await row.getByRole('button', { name: 'Delete precious.txt' }).click();
  await page.getByRole('dialog', { name: 'Delete precious.txt?' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('status')).toHaveText('Deleted precious.txt.');
  await expect(row).toHaveCount(0);

  await page.getByRole('button', { name: 'Recently deleted' }).click();
  const entry = page.getByTestId('deleted-row').filter({ hasText: 'precious.txt' });
  await expect(entry).toBeVisible();
  await expect(entry).toContainText('in documents');
  await expect(entry).toContainText(`${content.length} B`);
  await expect(page.getByTestId('retention')).toHaveValue('30');
  await page.screenshot({ path: artifact('recently-deleted.png') });

  await entry.getByRole('button', { name: 'Restore documents/precious.txt' }).click();
  await expect(page.getByRole('status')).toHaveText('Restored documents/precious.txt.');
  await expect(entry).toHaveCount(0);

  await page.getByRole('button', { name: '← Files' }).click();
  await expect(row).toBeVisible(); // back in documents, where the person was
  const downloading = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Download precious.txt' }).click();
  const download = await downloading;
  expect(await readFile(await download.path(), 'utf8')).toBe(content);
});
