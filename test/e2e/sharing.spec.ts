// Sharing (issue 13) in the headless UI: the switch turns the real server's /dav/ on, the address it shows takes a
// PUT that Files then lists, and turning it off closes the share again.
import { expect, test } from '@playwright/test';
import { artifact, serve, type Served } from './serve.ts';

let server: Served;
test.beforeAll(async () => { server = await serve({ demo: true }); });
test.afterAll(async () => { await server?.stop(); });

test('Sharing: switch the WebDAV share on, PUT through the shown address, see it in Files, switch it off', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Sharing', exact: true }).click();
  const toggle = page.getByRole('switch', { name: /WebDAV share/ });
  await expect(toggle).not.toBeChecked();
  await toggle.click();
  await expect(toggle).toBeChecked();

  const address = await page.getByRole('textbox', { name: 'Share address' }).first().inputValue();
  expect(address).toBe(`${new URL(server.url).origin.replace('localhost', '127.0.0.1')}/dav/`);
  await expect(page.getByTestId('connect-steps')).toContainText(`net use Z: ${address} /user:nas *`);
  await page.screenshot({ path: artifact('sharing.png'), fullPage: true });

  const put = await fetch(`${address}shared-by-webdav.txt`, { method: 'PUT', body: 'hello over WebDAV\n' });
  expect(put.status).toBe(201);
  await page.getByRole('button', { name: 'Files', exact: true }).click();
  await expect(page.getByTestId('file-row').filter({ hasText: 'shared-by-webdav.txt' })).toBeVisible();

  await page.getByRole('button', { name: 'Sharing', exact: true }).click();
  await page.getByRole('switch', { name: /WebDAV share/ }).click();
  await expect(page.getByRole('switch', { name: /WebDAV share/ })).not.toBeChecked();
  const after = await fetch(address, { method: 'PROPFIND', headers: { Depth: '0' } });
  expect(after.status).not.toBe(207);
});
