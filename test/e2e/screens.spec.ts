// The README's screens of the views added by issue 15 (Recent activity with filters, Settings, Sharing), taken from the
// demo. Only on demand: `bash scripts/screens.sh` (or SCREENS=1 with UPDATE_DOCS=1) runs it with the specs that take
// the other screens; a plain test run skips it, since the demo, loop-drive and sharing specs already test these views.
import { expect, test, type Page } from '@playwright/test';
import { artifact, serve, specLifecycle } from './serve.ts';

const SKIP_REASON = process.env.SCREENS ? null : 'screens for docs/screens/ only: run bash scripts/screens.sh (or SCREENS=1)';

const spec = specLifecycle();
const section = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }).click();

test.beforeAll(async () => { if (!SKIP_REASON) spec.server = await serve({ demo: true }); });

test('screens: Recent activity filtered after a reload, Settings, Sharing', async ({ page }) => {
  // The list reporter shows a skipped test as a bare "-": the reason goes where the run's output is read (as electron.spec).
  if (SKIP_REASON) console.log(`screens.spec skipped: ${SKIP_REASON}`);
  test.skip(SKIP_REASON !== null, SKIP_REASON ?? '');
  await page.goto(spec.server!.url);
  const usb = page.getByTestId('member-card').filter({ hasText: 'USB Backup' });
  await expect(usb).toHaveAttribute('data-state', 'in_sync');

  await test.step('some history: the USB drive ejected and added again', async () => {
    await usb.getByRole('button', { name: /^Eject USB Backup/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Eject', exact: true }).click();
    await expect(usb.getByText('Safe to remove USB Backup')).toBeVisible();
    await usb.getByRole('button', { name: 'Re-add' }).click();
    await expect(usb).toHaveAttribute('data-state', 'in_sync', { timeout: 60_000 });
    await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText('USB Backup is up to date again.');
  });

  await test.step('the history is still there after a reload, filtered by drive and kind', async () => {
    await page.reload();
    const activity = page.getByRole('region', { name: 'Recent activity' });
    await expect(activity).toContainText('USB Backup is up to date again.');
    await activity.getByRole('combobox', { name: 'Drive' }).selectOption({ label: 'USB Backup' });
    await activity.getByRole('combobox', { name: 'Kind' }).selectOption({ label: 'Drives back and catch-ups' });
    await expect(activity).not.toContainText('safe to remove');
    await page.screenshot({ path: artifact('13-activity-filters.png') });
  });

  await test.step('Settings: a weekly scrub, saved', async () => {
    await section(page, 'Settings');
    await page.getByRole('combobox', { name: 'How often' }).selectOption('weekly');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await page.screenshot({ path: artifact('14-settings.png') });
    // The same view in dark mode, with a number refused.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('textbox', { name: 'Fail a drive that stops answering after (seconds)' }).fill('5000');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('alert')).toContainText('Nothing was saved');
    await page.screenshot({ path: artifact('14-settings-refused-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await test.step('Sharing: the WebDAV share on, with its address and how to connect', async () => {
    await section(page, 'Sharing');
    const toggle = page.getByRole('switch', { name: /WebDAV share/ });
    await toggle.click();
    await expect(toggle).toBeChecked();
    await expect(page.getByTestId('connect-steps')).toBeVisible();
    await page.screenshot({ path: artifact('15-sharing.png'), fullPage: true });
    await toggle.click();
    await expect(toggle).not.toBeChecked();
  });
});
